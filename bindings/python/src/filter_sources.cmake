# Filter tracing sources (owner: F), included by bindings/python/CMakeLists.txt.
set(ATR_FILTER_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/filter.c
  ${CMAKE_CURRENT_LIST_DIR}/filter_decide.c
  ${CMAKE_CURRENT_LIST_DIR}/filter_pattern.c
  ${CMAKE_CURRENT_LIST_DIR}/filter_calls.c
  ${CMAKE_CURRENT_LIST_DIR}/filter_emit.c
  ${CMAKE_CURRENT_LIST_DIR}/filter_names.c
  ${CMAKE_CURRENT_LIST_DIR}/frame_args.c
  ${CMAKE_CURRENT_LIST_DIR}/monitor.c
  ${CMAKE_CURRENT_LIST_DIR}/eval_hook.c
  ${CMAKE_CURRENT_LIST_DIR}/profile_hook.c
)
