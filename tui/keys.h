/*
 * Actions and the key map. One list gives the action enum, the names used in
 * `bind <view> <key> <action>` lines and the help texts; the default key map
 * is a table of such lines compiled in, and the help screen and the footer
 * are drawn from the same data.
 */
#ifndef KASSA_KEYS_H
#define KASSA_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "i18n.h"
#include "status.h"

/*
 * name, bind name, footer label (short), help text. Actions with an empty
 * footer label never appear in the footer.
 */
#define ACTION_INFO(_)                                                                             \
	_(NONE, "none", "", "")                                                                    \
	_(HELP, "help", N_("Help"), N_("Show the key map"))                                        \
	_(FIND, "find", N_("Find"), N_("Find an item in the catalog"))                             \
	_(DISCOUNT, "discount", N_("Discount"),                                                    \
	  N_("Discount: the selected line, or the whole receipt if none is"))                      \
	_(REFUND, "refund", N_("Refund"), N_("Refund by the original receipt"))                    \
	_(PAY, "pay", N_("Pay"), N_("Pay and send the receipt"))                                   \
	_(NONFISCAL, "nonfiscal", N_("Non-fiscal"), N_("Pay and send a non-fiscal receipt"))       \
	_(DELETE_LINE, "delete-line", N_("Delete"), N_("Delete the selected line (asks first)"))   \
	_(SHIFT, "shift", N_("Shift"), N_("Shift: open, X-report, Z-report, cash in and out"))     \
	_(STATUS, "status", N_("Status"), N_("Documents sent and their status"))                   \
	_(JOURNAL, "journal", N_("Journal"),                                                       \
	  N_("Journal: search, history, preview, reprint, provider registry"))                     \
	_(SETTINGS, "settings", N_("Settings"),                                                    \
	  N_("Settings: profiles, test mode, printer, theme, account check"))                      \
	_(QUIT, "quit", N_("Quit"),                                                                \
	  N_("Quit kassa (asks when the basket is not empty or documents wait)"))                  \
	_(SEND_NOW, "send-now", N_("Send now"),                                                    \
	  N_("Send the documents waiting in the outbox now (retry at once)"))                      \
	_(BACK, "back", N_("Back"),                                                                \
	  N_("Back: clears the line, or returns to the sale; the basket is kept"))                 \
	_(SEND, "send", N_("Send"), N_("Send the document"))                                       \
	_(UP, "up", "", N_("Previous line or field"))                                              \
	_(DOWN, "down", "", N_("Next line or field"))                                              \
	_(PAGE_UP, "page-up", "", N_("Page up"))                                                   \
	_(PAGE_DOWN, "page-down", "", N_("Page down"))                                             \
	_(NEXT_FIELD, "next-field", N_("Next field"), N_("Next field"))                            \
	_(PREV_FIELD, "prev-field", "", N_("Previous field"))                                      \
	_(OPTION_NEXT, "option-next", "", N_("Next choice of the focused option"))                 \
	_(OPTION_PREV, "option-prev", "", N_("Previous choice of the focused option"))             \
	_(QTY_INC, "qty-inc", "", N_("Selected line: quantity plus one (empty input line)"))       \
	_(QTY_DEC, "qty-dec", "", N_("Selected line: quantity minus one (empty input line)"))      \
	_(CONFIRM, "confirm", N_("Yes"),                                                           \
	  N_("Yes: confirm the question asked (y or д; Enter is no when yes cannot be undone)"))   \
	_(REFUSE, "refuse", N_("No"), N_("No: refuse the question asked"))                         \
	_(REDRAW, "redraw", "", N_("Redraw the whole screen"))                                     \
	_(PREVIEW, "preview", N_("Preview"), N_("Journal: the receipt as it prints on paper"))     \
	_(REPRINT, "reprint", N_("Copy"), N_("Journal: print a copy as a non-fiscal receipt"))     \
	_(REPLAY, "replay", N_("Replay"),                                                          \
	  N_("Journal: send a document of unknown fate again with its own ext_id"))                \
	_(REGISTRY, "registry", N_("Provider"),                                                    \
	  N_("Journal: the provider's own registry (PayKeeper) beside the local documents"))       \
	_(RECALL, "recall", "",                                                                    \
	  N_("Bring the basket of a receipt the provider refused back to the sale screen"))        \
	_(CASH_REST, "cash-rest", N_("Exact cash"),                                                \
	  N_("Payment: cash pays the rest (#), then sends"))                                       \
	_(CARD_REST, "card-rest", N_("Card rest"),                                                 \
	  N_("Payment: the card pays the rest (#) after the cash typed, then sends"))              \
	_(NOTE_500, "cash-500", N_("+500"), N_("Payment: a 500 banknote into the cash field"))     \
	_(NOTE_1000, "cash-1000", N_("+1000"),                                                     \
	  N_("Payment: a 1,000 banknote into the cash field"))                                     \
	_(NOTE_2000, "cash-2000", N_("+2000"),                                                     \
	  N_("Payment: a 2,000 banknote into the cash field"))                                     \
	_(NOTE_5000, "cash-5000", N_("+5000"),                                                     \
	  N_("Payment: a 5,000 banknote into the cash field"))                                     \
	_(NO_ORIGINAL, "no-original", N_("No original"),                                           \
	  N_("Refund: refund the basket without an original receipt (asks first)"))                \
	_(SETTLE, "settle", N_("Settle"),                                                          \
	  N_("Journal: settle a prepaid order (the final receipt offsets the prepayment)"))        \
	_(BILL, "bill", N_("Bill"),                                                                \
	  N_("Pay by link: a LIFE PAY bill to the buyer's phone or e-mail (QR code for SBP)"))     \
	_(BILL_CANCEL, "bill-cancel", N_("Cancel bill"), N_("Pay by link: cancel the unpaid bill"))

#define ACTION_ENUM(name, bind, label, help) ACT_##name,
enum action { ACTION_INFO(ACTION_ENUM) ACT_COUNT };
#undef ACTION_ENUM

/*
 * A key: a character (Unicode code point), or a curses special key
 * (KEYS_SPECIAL + KEY_xxx), optionally with KEYS_ALT (Esc prefix).
 */
#define KEYS_SPECIAL 0x200000
#define KEYS_ALT 0x40000000
#define KEYS_NONE (-1)

/* View names a binding may name; "generic" applies on every screen. */
#define KEYS_VIEW_MAX 16
#define KEYS_GENERIC "generic"

struct keybind {
	char view[KEYS_VIEW_MAX];
	int key;
	enum action action;
};

#define KEYMAP_MAX 160

struct keymap {
	struct keybind binds[KEYMAP_MAX];
	size_t n;
};

/* The bind name ("pay") and the translated footer label and help text. */
const char *action_name(enum action a);
const char *action_label(enum action a);
const char *action_help(enum action a);
/* The footer label for narrow terminals ("Disc."), translated; the full one if none. */
const char *action_short_label(enum action a);
/* Looks an action up by its bind name; false if unknown. */
bool action_parse(const char *name, enum action *a);

/*
 * Parses a key name: "F1".."F24", "Enter", "Esc", "Tab", "BackTab", "Up",
 * "Down", "Left", "Right", "PgUp", "PgDn", "Home", "End", "Del", "Ins",
 * "Backspace", "Space", "C-x" (Ctrl), "M-x" (Alt, any key), or one character
 * ("+", "д"). K_INVALID with a message naming the key otherwise.
 */
kstatus keys_parse_key(const char *name, int *key, struct kerr *err);
/* The display name of a key ("F5", "M-p", "C-o", "+"), into buf. */
const char *keys_key_name(int key, char *buf, size_t n);

/* The compiled-in default key map. */
void keymap_defaults(struct keymap *km);
/* Removes every binding. */
void keymap_clear(struct keymap *km);
/*
 * Applies one `bind <view> <key> <action>` line (a binding to "none"
 * removes the key from that view). Blank lines and '#' comments are
 * accepted and ignored. Errors name the word that is wrong.
 */
kstatus keymap_bind_line(struct keymap *km, const char *line, struct kerr *err);
/* Sets view/key to action, replacing an earlier binding of that key there. */
kstatus keymap_bind(struct keymap *km, const char *view, int key, enum action a, struct kerr *err);
/* The action for key in view, falling back to "generic"; ACT_NONE if unbound. */
enum action keymap_lookup(const struct keymap *km, const char *view, int key);
/* The action bound to key in view itself (no fallback); ACT_NONE if none. */
enum action keymap_lookup_view(const struct keymap *km, const char *view, int key);
/*
 * The keys bound to action in view (view's own, then generic ones not
 * overridden), as "F5, M-p, C-o" into buf; "" when unbound. Returns the
 * number of keys.
 */
size_t keymap_keys_for(const struct keymap *km, const char *view, enum action a, char *buf,
		       size_t n);
/* The first key bound to action in view (or generic); KEYS_NONE if none. */
int keymap_first_key(const struct keymap *km, const char *view, enum action a);
/* Like keymap_first_key() but a function key wins (for the footer). */
int keymap_label_key(const struct keymap *km, const char *view, enum action a);

/* One line of the help screen. */
struct keys_help_line {
	char keys[64];
	const char *help;
	enum action action;
};
/*
 * Fills out with one line per action that has a key in view (or generic),
 * in action order; returns the number of lines written (at most max).
 */
size_t keymap_help(const struct keymap *km, const char *view, struct keys_help_line *out,
		   size_t max);

#endif
