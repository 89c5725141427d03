/*
 * kassa receipt: reads a receipt written as a LifePay request, checks it
 * with the fiscal core and (with --dry-run) prints what kassa would send.
 * Support staff use it to check a merchant's payload; tests use it to drive
 * the core. Sending comes with the delivery engine.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_engine.h"
#include "config.h"
#include "document.h"
#include "errors.h"
#include "guard.h"
#include "i18n.h"
#include "jsonx.h"
#include "money.h"
#include "payment.h"
#include "util.h"
#include "wire/lifepay.h"

/* Payloads are small; anything bigger is a mistake, not a receipt. */
#define RECEIPT_INPUT_MAX (1024 * 1024)

struct receipt_opts {
	bool dry_run;
	bool allow_large, no_original, training;
	enum doc_kind kind;
	const char *path;
	const char *profile;
};

static int receipt_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int receipt_usage_error(const char *fmt, ...)
{
	char text[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	cli_error("receipt", CLI_USAGE, "%s", text);
	fprintf(stderr, _("Usage: kassa receipt %s\n"),
		_("--dry-run [--kind KIND] [--allow-large] [--no-original] FILE"));
	return CLI_USAGE;
}

static int parse_opts(int argc, char **argv, struct receipt_opts *o, bool *help)
{
	bool options = true;
	memset(o, 0, sizeof *o);
	o->kind = DOC_RECEIPT;
	*help = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (options && strcmp(a, "--") == 0) {
			options = false;
		} else if (options && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
			*help = true;
			return CLI_OK;
		} else if (options && strcmp(a, "--dry-run") == 0) {
			o->dry_run = true;
		} else if (options && strcmp(a, "--allow-large") == 0) {
			o->allow_large = true;
		} else if (options && strcmp(a, "--no-original") == 0) {
			o->no_original = true;
		} else if (options && strcmp(a, "--training") == 0) {
			o->training = true;
		} else if (options && (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)) {
			/* a dry run logs no delivery */
		} else if (options &&
			   (strcmp(a, "--profile") == 0 || strncmp(a, "--profile=", 10) == 0)) {
			o->profile = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : NULL);
			if (!o->profile || !*o->profile)
				return receipt_usage_error(_("%s needs a value"), "--profile");
		} else if (options && (strcmp(a, "--kind") == 0 || strncmp(a, "--kind=", 7) == 0)) {
			const char *k = a[6] == '=' ? a + 7 : (i + 1 < argc ? argv[++i] : NULL);
			if (!k)
				return receipt_usage_error(_("%s needs a value"), "--kind");
			if (!doc_kind_parse(k, &o->kind) || !doc_kind_has_basket(o->kind))
				return receipt_usage_error(
				    _("--kind must be receipt, non-fiscal or correction, not '%s'"),
				    k);
		} else if (options && a[0] == '-' && a[1] != '\0') {
			return receipt_usage_error(_("unknown option '%s'"), a);
		} else if (o->path) {
			return receipt_usage_error(_("give one FILE only; '%s' is one too many"),
						   a);
		} else {
			o->path = a;
		}
	}
	if (!o->path)
		return receipt_usage_error("%s",
					   _("give the receipt FILE, or - for standard input"));
	return CLI_OK;
}

/* A refusal on stderr: the field, the problem and, for provider codes, their meaning. */
static int report(const struct kerr *err)
{
	char msg[512];
	kerr_str(err, msg, sizeof msg);
	if (err->code) {
		char meaning[512];
		errors_describe(err->code, NULL, errors_locale_is_russian(), meaning,
				sizeof meaning);
		return cli_error("receipt", CLI_USAGE, _("%s (LifePay would answer %s)"), msg,
				 meaning);
	}
	return cli_error("receipt", CLI_USAGE, "%s", msg);
}

static json_t *money_text(int64_t kop)
{
	char buf[40];
	money_format_wire(kop, buf, sizeof buf);
	return json_string(buf);
}

static json_t *line_json(const struct basket_line *l)
{
	char qty[40];
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(l->name));
	json_object_set_new(o, "price", money_text(l->price));
	qty_format(l->qty, qty, sizeof qty);
	json_object_set_new(o, "quantity", json_string(qty));
	if (l->discount.type != DISCOUNT_NONE) {
		json_t *d = json_object();
		if (l->discount.type == DISCOUNT_PERCENT) {
			char pct[32];
			percent_format(l->discount.value, pct, sizeof pct);
			json_object_set_new(d, "type", json_string("percent"));
			json_object_set_new(d, "value", jsonx_decimal(pct));
		} else {
			json_object_set_new(d, "type", json_string("amount"));
			json_object_set_new(d, "value", jsonx_money_number(l->discount.value));
		}
		json_object_set_new(o, "discount", d);
	}
	json_object_set_new(o, "sum", money_text(l->sum));
	return o;
}

/* The whole answer is built before anything is written: stdout is never partial. */
static char *dry_run_json(const struct document *d, const struct lifepay_auth *auth)
{
	struct lifepay_auth shown = *auth;
	wire_mask_secret(auth->apikey, shown.apikey, sizeof shown.apikey);
	char endpoint[256];
	snprintf(endpoint, sizeof endpoint, "%s%s", LIFEPAY_BASE_URL, doc_kind_path(d->kind));

	json_t *root = json_object();
	json_object_set_new(root, "kind", json_string(doc_kind_wire(d->kind)));
	json_object_set_new(root, "endpoint", json_string(endpoint));
	json_object_set_new(root, "type",
			    json_string(d->kind == DOC_CORRECTION
					    ? wire_lifepay_correction_type(d->type)
					    : receipt_type_lifepay(d->type)));
	json_t *lines = json_array();
	for (size_t i = 0; i < d->basket.n; i++)
		json_array_append_new(lines, line_json(&d->basket.lines[i]));
	json_object_set_new(root, "lines", lines);
	json_object_set_new(root, "total", money_text(d->basket.total));
	if (d->prepayment) /* seed 002's final receipt: the advance it offsets */
		json_object_set_new(root, "prepayment_amount", money_text(d->prepayment));
	json_object_set_new(root, "card_amount", money_text(d->resolved.card));
	json_object_set_new(root, "cash_amount", money_text(d->resolved.cash));
	json_object_set_new(root, "change", money_text(d->resolved.change));
	json_object_set_new(root, "request", wire_lifepay_request(d, &shown));
	explicit_bzero(&shown, sizeof shown);

	char *text = jsonx_dumps(root, JSON_INDENT(2));
	json_decref(root);
	return text;
}

/*
 * The ceiling a send would check: the chosen profile's max_receipt (the
 * default profile's when a config exists), or the default. CLI_CONFIG with
 * the reason when the profile named cannot be used.
 */
static int dry_run_ceiling(const struct receipt_opts *o, int64_t *max)
{
	*max = 0; /* guard_ceiling(): CONFIG_MAX_RECEIPT_DEFAULT */
	struct config *cfg = NULL;
	struct kerr err = {0};
	kstatus st = config_load(NULL, &cfg, &err);
	if (st == K_OK && !cfg->exists && !o->profile) {
		config_free(cfg);
		return CLI_OK;
	}
	if (st == K_OK && !cfg->exists && !o->training) {
		int rc = cli_error("receipt", CLI_CONFIG,
				   _("no configuration at %s: write it (see kassa(1), FILES) or "
				     "pass --training to use the training sandbox"),
				   cfg->path);
		config_free(cfg);
		return rc;
	}
	struct config_profile *p = NULL;
	if (st == K_OK) {
		p = xmalloc(sizeof *p);
		st = config_select(cfg, o->profile, o->training, p, &err);
	}
	if (st == K_OK)
		*max = p->max_receipt;
	if (p)
		explicit_bzero(p, sizeof *p);
	free(p);
	config_free(cfg);
	if (st != K_OK) {
		char msg[512];
		kerr_str(&err, msg, sizeof msg);
		return cli_error("receipt", CLI_CONFIG, "%s", msg);
	}
	return CLI_OK;
}

static int receipt_dry_run(const struct receipt_opts *o)
{
	int64_t max_receipt;
	int crc = dry_run_ceiling(o, &max_receipt);
	if (crc != CLI_OK)
		return crc;
	size_t len;
	char *input = cli_read_input("receipt", o->path, RECEIPT_INPUT_MAX, &len);
	if (!input)
		return CLI_USAGE;
	/* editors on Windows start UTF-8 files with a byte order mark */
	size_t skip = len >= 3 && memcmp(input, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	if (len == skip || strspn(input + skip, " \t\r\n") == len - skip) {
		free(input);
		return cli_error("receipt", CLI_USAGE, "%s",
				 _("the input is empty; give a LifePay request such as "
				   "{\"purchase\": {\"products\": [...]}}"));
	}
	/* the document is large (100 lines); keep it off the stack */
	struct document *d = xmalloc(sizeof *d);
	struct lifepay_auth auth;
	struct kerr err = {0};
	int rc = CLI_OK;
	kstatus st = wire_lifepay_parse_request(input + skip, len - skip, o->kind, d, &auth, &err);
	explicit_bzero(input, len);
	free(input);
	if (st == K_OK && (auth.login[0] || auth.apikey[0]))
		st = wire_lifepay_check_auth(&auth, &err);
	if (st == K_OK)
		st = document_validate(d, &err);
	if (st == K_OK) /* the dry run shows the LifePay request */
		st = document_check_lifepay(d, &err);
	/* kassa's own tender rule, as a send would apply it (lib/guard.h) */
	if (st == K_OK && doc_kind_has_basket(d->kind))
		st = payment_rules(document_due(d), &d->resolved, &err);
	/* and the rest of kassa's rules a send applies: whole pieces, a refund's
	 * original, the profile's ceiling (the card refund left needs the journal) */
	if (st == K_OK) {
		d->allow_large = o->allow_large;
		d->no_original = o->no_original;
		st = guard_document(NULL, d, max_receipt, &err);
	}
	if (st != K_OK) {
		rc = report(&err);
	} else {
		char *out = dry_run_json(d, &auth);
		if (!out) {
			rc =
			    cli_error("receipt", CLI_FAILED, "%s", _("could not build the result"));
		} else {
			size_t n = strlen(out);
			if (fwrite(out, 1, n, stdout) != n || fputc('\n', stdout) == EOF ||
			    fflush(stdout) != 0)
				rc = cli_error("receipt", CLI_FAILED, "%s",
					       _("could not write the result"));
			free(out);
		}
	}
	explicit_bzero(&auth, sizeof auth);
	document_free(d);
	free(d);
	return rc;
}

int cli_receipt(int argc, char **argv)
{
	/* Without --dry-run the receipt is sent by the delivery engine. */
	bool dry_run = false, help = false;
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			dry_run = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			help = true;
	}
	if (!dry_run && !help)
		return cli_engine_receipt(argc, argv);

	struct receipt_opts o;
	int rc = parse_opts(argc, argv, &o, &help);
	if (rc != CLI_OK)
		return rc;
	if (help) {
		printf(_("Usage: kassa receipt %s\n"),
		       _("FILE [--kind KIND] [--wait] [--timeout S] [--allow-large] "
			 "[--no-original] [--profile NAME] [--training]"));
		printf(_("       kassa receipt %s\n"),
		       _("--dry-run [--kind KIND] [--allow-large] [--no-original] FILE"));
		printf("%s",
		       _("\n"
			 "Without --dry-run the receipt is sent: kassa returns once it is safely "
			 "in the journal\n"
			 "and sent or queued; --wait waits for its final status. The file's login "
			 "and apikey\n"
			 "are ignored: the profile's are used. The file is a LifePay request, "
			 "for example\n"
			 "  {\"type\": \"payment\", \"customer_email\": \"buyer@example.ru\",\n"
			 "   \"purchase\": {\"products\": [{\"name\": \"Хлеб\", \"price\": 45.50, "
			 "\"quantity\": 1,\n"
			 "                             \"tax\": \"vat10\"}]},\n"
			 "   \"card_amount\": \"#\"}\n"
			 "A correction (--kind correction) adds type sell_correction (or "
			 "sell_return_correction, ...),\n"
			 "initiator (independently or directive), description, doc_date "
			 "(YYYY-MM-DD) and doc_number.\n"
			 "On a PayKeeper profile kassa sends the same file as PayKeeper's form: "
			 "initiator becomes\n"
			 "correction_type self or by_order; prepayment_amount (an advance this "
			 "final settlement\n"
			 "offsets), lines with payment method 6 (on credit) and payment_id "
			 "become sum_advance\n"
			 "with is_post_sale, sum_credit and payment_id.\n"
			 "\n"
			 "With --dry-run kassa reads the receipt (FILE, or - for standard "
			 "input), checks it\n"
			 "as it would before sending and prints one JSON object: "
			 "the lines with\n"
			 "their sums, the total, the card and cash amounts with # resolved, "
			 "the change, and\n"
			 "`request`, the body that would be sent (# kept, apikey masked).\n"
			 "\n"
			 "  --dry-run    check and print; send nothing\n"
			 "  --kind KIND  receipt (default), non-fiscal or correction\n"
			 "\n"
			 "Bad input exits with status 2 and names the field on stderr, "
			 "for example\n"
			 "  purchase.products[1].quantity: must be more than zero\n"
			 "(products are counted from 0).\n"));
		printf("%s",
		       _("\nA prepaid order (seed 002) is two receipts: the first when the "
			 "money comes,\nits lines with \"type\" 1 (full prepayment), 2 (partial) "
			 "or 3 (advance); the final one\nat hand-over, every line \"type\" 4 and "
			 "\"prepayment_amount\" the sum prepaid\n(LifePay as is, PayKeeper as "
			 "sum_advance), the rest paid by card or cash.\n"));
		return CLI_OK;
	}
	return receipt_dry_run(&o);
}
