/* Shared by every unit-test binary: the failure counter test.h's macros bump. */
int test_failures;
