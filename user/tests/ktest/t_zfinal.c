/* Runs last (files link in name order): the system still serves. */
#include "ktest.h"

KCASE(ZZZ0001, 0, "after all the hostile cases an ordinary request/reply over a Ring still works")
{
    int ok;
    echo_roundtrips(10, &ok);
}
