/* argtrace-view: the viewer's command-line entry point. */
#include <locale.h>

#include "viewer.h"

int main(int argc, char **argv) {
    setlocale(LC_CTYPE, ""); /* the TUI draws UTF-8 through ncursesw */
    return atr_viewer_main(argc, argv);
}
