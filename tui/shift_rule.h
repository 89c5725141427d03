/*
 * The provider's rule that a shift lasts at most 24 hours, in the
 * cashier's words: used by the engine (a refused receipt) and the shift
 * screen, so neither needs the other.
 */
#ifndef KASSA_SHIFT_RULE_H
#define KASSA_SHIFT_RULE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * When a provider refusal (code, text) is the rule that a shift lasts at
 * most 24 hours, writes what it means and what to do into buf (translated)
 * and returns true; false for any other refusal.
 */
bool shift_rule_explain(int code, const char *text, char *buf, size_t n);

#endif
