// The Catch2 test runner for every unit test in this directory.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
