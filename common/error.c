/* error.c: messages for lede's error codes. */
#include "error.h"

const char *lede_strerror(int err)
{
    switch (err) {
#define CASE(name, value, message)                                                                 \
    case name: return message;
        LEDE_ERRORS(CASE)
#undef CASE
    }
    return "unknown error";
}
