// mtaroute's entry point; everything else is in the core library (cli/app.h).
#include "cli/app.h"

int main(int argc, char** argv) { return mtaroute::RunCli(argc, argv); }
