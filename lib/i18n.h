/* Translation helpers shared by lib/ and tui/. */
#ifndef KASSA_I18N_H
#define KASSA_I18N_H

#include <libintl.h>

#define _(s) dgettext(GETTEXT_PACKAGE, s)
#define N_(s) s

#endif
