# Viewer/analysis benchmarks (included from bench/CMakeLists.txt): the log generator and the
# analysis driver used by bench/bench_viewer.sh.
add_executable(gen_log ${CMAKE_CURRENT_LIST_DIR}/gen_log.c)
target_link_libraries(gen_log PRIVATE argtrace_static)
atr_target_flags(gen_log)
add_executable(bench_analysis ${CMAKE_CURRENT_LIST_DIR}/bench_analysis.c)
target_link_libraries(bench_analysis PRIVATE argtrace_static)
atr_target_flags(bench_analysis)
