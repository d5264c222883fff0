// scxsim: the process entry point (the command line itself is cli/command_line.cc).
#include "cli/command_line.h"

int main(int argc, char** argv) { return scx::run_command_line(argc, argv); }
