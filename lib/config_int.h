/* Inside the config reader: shared by config.c, config_parse.c and config_values.c only. */
#ifndef KASSA_CONFIG_INT_H
#define KASSA_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Parses the config text (changed in place) into cfg; the first problem goes to err. */
kstatus config_parse_text(struct config *cfg, char *text, size_t tlen, struct kerr *err);
/* $HOME when absolute, else the passwd entry's home; NULL when neither. */
const char *config_home_dir(void);
/* The config word of a tax system ("usn6"), "" for the default or out of range. */
const char *config_tax_word(int t);

/* Single values, each true when v is well formed. */
bool config_value_int(const char *v, int64_t min, int64_t max, int64_t *out);
bool config_value_bool(const char *v, bool *out);
/* http:// to 127.0.0.1, localhost or [::1]. */
bool config_value_loopback_http(const char *url);
/* A listen host only this machine can reach. */
bool config_value_loopback_host(const char *host);
bool config_value_has_userinfo(const char *v);
bool config_value_has_space(const char *v);
/* Copies an address without its trailing slashes; false when it does not fit. */
bool config_value_url_store(char *dst, size_t n, const char *v);
/* 1..max-1 letters, digits, '.', '_' or '-'. */
bool config_value_name(const char *v, size_t max);
bool config_value_listen(const char *v, char *host, size_t host_n, unsigned *port);
bool config_value_retry(const char *v, int64_t *out, size_t *count);

#endif
