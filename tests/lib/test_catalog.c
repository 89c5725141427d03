/* Tests for lib/catalog.c: CSV reading, row checks, the report, look-ups, speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog.h"
#include "util.h"

static struct catalog *load(const char *text, struct catalog_report *r)
{
	struct catalog *c = NULL;
	struct kerr err;
	kerr_clear(&err);
	assert_int_equal(catalog_load_buffer(text, strlen(text), "t.csv", &c, r, &err), K_OK);
	assert_non_null(c);
	return c;
}

/* True if the report has a problem on line with a text containing what. */
static bool has_problem(const struct catalog_report *r, int line, const char *what)
{
	for (size_t i = 0; i < r->nproblems; i++)
		if (r->problems[i].line == line && strstr(r->problems[i].text, what))
			return true;
	return false;
}

static void catalog_load__reads_plain_rows__without_header(void **state)
{
	struct catalog_report r;
	struct catalog *c = load("1001,Хлеб,54.90,piece,vat10,1\n"
				 "1002,Яблоки,149,kg,vat10,1\n"
				 "1003,Доставка,300.00,,vat20,4\n",
				 &r);
	assert_int_equal(r.rows_ok, 3);
	assert_int_equal(r.rows_bad, 0);
	assert_false(r.header);
	assert_int_equal(r.separator, ',');
	size_t n;
	const struct catalog_item *it = catalog_items(c, &n);
	assert_int_equal(n, 3);
	assert_string_equal(it[0].code, "1001");
	assert_string_equal(it[0].name, "Хлеб");
	assert_int_equal(it[0].price, 5490);
	assert_int_equal(it[0].unit, UNIT_PIECE);
	assert_int_equal(it[0].vat, VAT_VAT10);
	assert_int_equal(it[0].object, 1);
	assert_int_equal(it[1].price, 14900);
	assert_int_equal(it[1].unit, UNIT_KG);
	assert_int_equal(it[2].unit, UNIT_PIECE); /* empty unit: piece */
	assert_int_equal(it[2].object, 4);
	assert_int_equal(catalog_item_line(c, 2), 3);
	catalog_free(c);
	catalog_report_free(&r);
}

static void catalog_load__handles_quotes_crlf_bom__rfc4180(void **state)
{
	struct catalog_report r;
	struct catalog *c = load("\xef\xbb\xbf"
				 "code,name,price,unit,vat,object\r\n"
				 "1,\"Сыр \"\"Российский\"\", 45%\",749.00,kg,vat10,1\r\n"
				 "2,  \"Молоко 3,2%\"  ,89.90,piece,vat10,\r\n"
				 "\r\n"
				 "3,Вода,49.90,piece,vat20,1",
				 &r);
	assert_true(r.header);
	assert_int_equal(r.rows_ok, 3);
	assert_int_equal(r.rows_bad, 0);
	assert_string_equal(catalog_find_code(c, "1")->name, "Сыр \"Российский\", 45%");
	assert_string_equal(catalog_find_code(c, "2")->name, "Молоко 3,2%");
	assert_int_equal(catalog_find_code(c, "2")->object, 0); /* empty: not given */
	assert_int_equal(catalog_find_code(c, "3")->price, 4990);
	assert_int_equal(catalog_item_line(c, 2), 5); /* blank line 4 skipped, lines counted */
	catalog_free(c);
	catalog_report_free(&r);
}

static void catalog_load__accepts_semicolons__when_header_uses_them(void **state)
{
	struct catalog_report r;
	struct catalog *c = load("Код;Наименование;Цена;Ед;НДС;Предмет расчёта\n"
				 "1001;Молоко 3,2% 1 л;89,90;шт;vat10;1\n"
				 "1002;Сахар, песок;59,00;кг;20%;1\n",
				 &r);
	assert_int_equal(r.separator, ';');
	assert_true(r.header);
	assert_int_equal(r.rows_ok, 2);
	const struct catalog_item *m = catalog_find_code(c, "1001");
	assert_non_null(m);
	assert_string_equal(m->name, "Молоко 3,2% 1 л");
	assert_int_equal(m->price, 8990);
	assert_int_equal(catalog_find_code(c, "1002")->unit, UNIT_KG);
	assert_int_equal(catalog_find_code(c, "1002")->vat, VAT_VAT20);
	catalog_free(c);
	catalog_report_free(&r);
}

static void catalog_load__maps_columns__in_header_order(void **state)
{
	struct catalog_report r;
	struct catalog *c = load("vat,price,name,code,colour\n"
				 "vat20,10.00,Ручка,A-1,синий\n",
				 &r);
	assert_int_equal(r.rows_ok, 1);
	const struct catalog_item *p = catalog_find_code(c, "A-1");
	assert_non_null(p);
	assert_string_equal(p->name, "Ручка");
	assert_int_equal(p->price, 1000);
	assert_int_equal(p->vat, VAT_VAT20);
	/* The unknown column is reported but does not refuse rows. */
	assert_true(has_problem(&r, 1, "colour"));
	assert_int_equal(r.rows_bad, 0);
	catalog_free(c);
	catalog_report_free(&r);
}

struct bad_case {
	const char *row;
	const char *field;
	const char *why;
};

static void catalog_load__reports_bad_rows__and_loads_good_ones(void **state)
{
	static const struct bad_case cases[] = {
	    {"1,Хлеб,54.999,piece,vat10,1", "price",
	     "line 2: price: has more than 2 decimal places"},
	    {"1,Хлеб,-5,piece,vat10,1", "price", "sign"},
	    {"1,Хлеб,abc,piece,vat10,1", "price", "not a number"},
	    {"1,Хлеб,,piece,vat10,1", "price", "empty"},
	    {",Хлеб,5,piece,vat10,1", "code", "code: is empty"},
	    {"1,,5,piece,vat10,1", "name", "name: is empty"},
	    {"1,Хлеб,5,box,vat10,1", "unit", "\"box\" is not a unit"},
	    {"1,Хлеб,5,piece,vat99,1", "vat", "\"vat99\" is not a VAT code"},
	    {"1,Хлеб,5,piece,,1", "vat", "vat: is missing"},
	    {"1,Хлеб,5,piece", "vat", "vat: is missing"},
	    {"1,Хлеб,5,piece,vat10,34", "object", "1..33"},
	    {"1,Хлеб,5,piece,vat10,0", "object", "1..33"},
	    {"1,Хлеб,5,piece,vat10,x", "object", "1..33"},
	    {"1,Хлеб,54,90,piece,vat10,1", "", "7 fields"},
	    {"1,\"Хлеб,5,piece,vat10,1", "", "not closed"},
	    {"1,\"Хлеб\"x,5,piece,vat10,1", "", "follows a closing quote"},
	    {"1,Хл\x01"
	     "еб,5,piece,vat10,1",
	     "name", "control character"},
	    {"1,\xff\xfe,5,piece,vat10,1", "name", "UTF-8"},
	    {"\xff,Хлеб,5,piece,vat10,1", "code", "UTF-8"},
	    {"1234567890123456789012345678901234567890123456789012345678901234,Хлеб,5,piece,vat10,"
	     "1",
	     "code", "at most 63"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[512];
		snprintf(text, sizeof text,
			 "code,name,price,unit,vat,object\n%s\n9,Хороший,1.00,piece,vat20,1\n",
			 cases[i].row);
		struct catalog_report r;
		struct catalog *c = load(text, &r);
		if (r.rows_bad != 1 || r.rows_ok != 1 || r.nproblems != 1)
			fail_msg("case %zu (%s): ok %zu bad %zu problems %zu", i, cases[i].row,
				 r.rows_ok, r.rows_bad, r.nproblems);
		if (!strstr(r.problems[0].text, cases[i].why) ||
		    strcmp(r.problems[0].field, cases[i].field) != 0)
			fail_msg("case %zu (%s): got \"%s\" field \"%s\"", i, cases[i].row,
				 r.problems[0].text, r.problems[0].field);
		assert_int_equal(r.problems[0].line, 2);
		assert_non_null(catalog_find_code(c, "9"));
		catalog_free(c);
		catalog_report_free(&r);
	}
}

static void catalog_load__refuses_duplicate_codes__naming_first_line(void **state)
{
	struct catalog_report r;
	struct catalog *c =
	    load("1,А,1,piece,none,1\n2,Б,2,piece,none,1\n1,В,3,piece,none,1\n", &r);
	assert_int_equal(r.rows_ok, 2);
	assert_int_equal(r.rows_bad, 1);
	assert_true(has_problem(&r, 3, "line 3: code: 1 is already used on line 1"));
	assert_string_equal(catalog_find_code(c, "1")->name, "А"); /* the first one stays */
	catalog_free(c);
	catalog_report_free(&r);
}

static void catalog_load__hints_at_header__when_first_row_is_bad(void **state)
{
	struct catalog_report r;
	struct catalog *c = load("Artikel,Bezeichnung,Preis\n1,Brot,2.50,piece,vat10,1\n", &r);
	assert_false(r.header);
	assert_int_equal(r.rows_ok, 1);
	assert_true(has_problem(&r, 1, "if this row is a header"));
	catalog_free(c);
	catalog_report_free(&r);
}

static void catalog_load__refuses_header__missing_required_column(void **state)
{
	struct catalog *c = (struct catalog *)1;
	struct catalog_report r;
	struct kerr err;
	const char *text = "code,name,unit,vat\n1,Хлеб,piece,vat10\n";
	assert_int_equal(catalog_load_buffer(text, strlen(text), "x.csv", &c, &r, &err), K_INVALID);
	assert_null(c);
	assert_non_null(strstr(err.text, "no price column"));
	assert_non_null(strstr(err.text, "x.csv"));
	text = "code,name,price,vat,Цена\n";
	assert_int_equal(catalog_load_buffer(text, strlen(text), "x.csv", &c, &r, &err), K_INVALID);
	assert_non_null(strstr(err.text, "twice"));
}

static void catalog_load__accepts_empty_input__as_empty_catalog(void **state)
{
	static const char *const texts[] = {"", "\xef\xbb\xbf", "\n\n\r\n", ",,,,,\n , ,\n",
					    "code,name,price,vat\n"};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		struct catalog_report r;
		struct catalog *c = load(texts[i], &r);
		assert_int_equal(catalog_count(c), 0);
		assert_int_equal(r.rows_bad, 0);
		assert_null(catalog_find_code(c, "1"));
		catalog_free(c);
		catalog_report_free(&r);
	}
}

static void catalog_load__caps_problems__and_counts_the_rest(void **state)
{
	size_t rows = CATALOG_PROBLEMS_MAX + 50;
	char *text = xmalloc(rows * 32 + 1);
	size_t o = 0;
	for (size_t i = 0; i < rows; i++)
		o += (size_t)snprintf(text + o, 32, "%zu,X,1.234,piece,none,1\n", i);
	struct catalog_report r;
	struct catalog *c = load(text, &r);
	assert_int_equal(r.rows_bad, rows);
	assert_int_equal(r.nproblems, CATALOG_PROBLEMS_MAX);
	assert_int_equal(r.problems_omitted, 50);
	free(text);
	catalog_free(c);
	catalog_report_free(&r);
}

static void catalog_load_file__reads_file__and_reports_missing(void **state)
{
	char path[] = "/tmp/kassa-test-catalog-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "4601234567890,Йогурт,64.90,piece,vat10,1\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct catalog *c;
	struct catalog_report r;
	struct kerr err;
	assert_int_equal(catalog_load_file(path, &c, &r, &err), K_OK);
	assert_int_equal(catalog_find_code(c, "4601234567890")->price, 6490);
	catalog_free(c);
	catalog_report_free(&r);
	unlink(path);
	assert_int_equal(catalog_load_file(path, &c, &r, &err), K_IO);
	assert_null(c);
	assert_non_null(strstr(err.text, path));
	assert_int_equal(catalog_load_file("/tmp", &c, &r, &err), K_IO);
}

struct collect {
	const char *codes[16];
	size_t n;
	size_t stop_after;
};

static bool on_item(const struct catalog_item *it, void *cls)
{
	struct collect *c = cls;
	if (c->n < 16)
		c->codes[c->n++] = it->code;
	return c->stop_after == 0 || c->n < c->stop_after;
}

static void join(const struct collect *col, char *out, size_t n)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t k = 0; k < col->n && o < n; k++)
		o += (size_t)snprintf(out + o, n - o, "%s%s", k ? "," : "", col->codes[k]);
}

static const char *const lookup_csv = "1,Молоко 3.2%,1,piece,none,1\n"
				      "2,МОЛОКО топлёное,1,piece,none,1\n"
				      "3,Мука,1,piece,none,1\n"
				      "4,Ёлочная игрушка,1,piece,none,1\n"
				      "5,Milk,1,piece,none,1\n"
				      "AB-7,Сливки молочные,1,piece,none,1\n";

static void catalog_complete__matches_prefix__ignoring_cyrillic_case(void **state)
{
	struct catalog_report r;
	struct catalog *c = load(lookup_csv, &r);
	static const struct {
		const char *prefix;
		const char *codes;
	} cases[] = {
	    {"мол", "1,2"}, {"МОЛ", "1,2"}, {"Молоко т", "2"}, {"м", "1,2,3"},	       {"ел", "4"},
	    {"ЁЛ", "4"},    {"mi", "5"},    {"молочные", ""},  {"", "1,2,3,4,5,AB-7"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct collect col = {0};
		size_t got = catalog_complete(c, cases[i].prefix, on_item, &col);
		char joined[128];
		join(&col, joined, sizeof joined);
		if (strcmp(joined, cases[i].codes) != 0 || got != col.n)
			fail_msg("prefix \"%s\": got \"%s\", want \"%s\"", cases[i].prefix, joined,
				 cases[i].codes);
	}
	struct collect col = {.stop_after = 1};
	assert_int_equal(catalog_complete(c, "мол", on_item, &col), 1);
	catalog_free(c);
	catalog_report_free(&r);
}

static void catalog_search__finds_substring__in_name_or_code(void **state)
{
	struct catalog_report r;
	struct catalog *c = load(lookup_csv, &r);
	static const struct {
		const char *text;
		const char *codes;
	} cases[] = {
	    {"олок", "1,2"}, {"ОЛОЧ", "AB-7"}, {"ab-", "AB-7"}, {"3.2", "1"},
	    {"ёл", "4"},     {"ЛЕН", "2"},     {"zzz", ""},	{"LK", "5"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct collect col = {0};
		catalog_search(c, cases[i].text, on_item, &col);
		char joined[128];
		join(&col, joined, sizeof joined);
		if (strcmp(joined, cases[i].codes) != 0)
			fail_msg("search \"%s\": got \"%s\", want \"%s\"", cases[i].text, joined,
				 cases[i].codes);
	}
	assert_null(catalog_find_code(c, "ab-7")); /* codes are exact */
	assert_non_null(catalog_find_code(c, "AB-7"));
	catalog_free(c);
	catalog_report_free(&r);
}

static void catalog_fold__lowers_cyrillic__without_locale(void **state)
{
	char out[64];
	catalog_fold("АБВ ЁЖ Я abc XYZ", out, sizeof out);
	assert_string_equal(out, "абв еж я abc xyz");
	catalog_fold("ЇҐЎ", out, sizeof out);
	assert_string_equal(out, "їґў");
	catalog_fold("a\xffZ", out, sizeof out);
	assert_string_equal(out, "a\xffz");
	catalog_fold("ЖЖЖЖ", out, 5); /* cut on a character boundary */
	assert_string_equal(out, "жж");
}

/* Ten thousand rows load whole; how fast is tests/bench/bench_catalog.c's to say. */
static void catalog_load__10000_rows__all_loaded_and_found(void **state)
{
	(void)state;
	size_t rows = 10000;
	char *text = xmalloc(rows * 96 + 64);
	size_t o = (size_t)snprintf(text, 64, "code;name;price;unit;vat;object\n");
	for (size_t i = 0; i < rows; i++)
		o += (size_t)snprintf(text + o, 96,
				      "%013zu;\"Товар номер %zu, упаковка\";%zu,%02zu;шт;vat20;1\n",
				      4600000000000 + i, i, i % 5000, i % 100);
	struct catalog_report r;
	struct catalog *c = load(text, &r);
	assert_int_equal(catalog_count(c), rows);
	assert_int_equal(r.nproblems, 0);
	assert_non_null(catalog_find_code(c, "4600000000000"));
	assert_non_null(catalog_find_code(c, "4600000009999"));
	assert_null(catalog_find_code(c, "4600000010000"));
	catalog_free(c);
	catalog_report_free(&r);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(catalog_load__reads_plain_rows__without_header),
	    cmocka_unit_test(catalog_load__handles_quotes_crlf_bom__rfc4180),
	    cmocka_unit_test(catalog_load__accepts_semicolons__when_header_uses_them),
	    cmocka_unit_test(catalog_load__maps_columns__in_header_order),
	    cmocka_unit_test(catalog_load__reports_bad_rows__and_loads_good_ones),
	    cmocka_unit_test(catalog_load__refuses_duplicate_codes__naming_first_line),
	    cmocka_unit_test(catalog_load__hints_at_header__when_first_row_is_bad),
	    cmocka_unit_test(catalog_load__refuses_header__missing_required_column),
	    cmocka_unit_test(catalog_load__accepts_empty_input__as_empty_catalog),
	    cmocka_unit_test(catalog_load__caps_problems__and_counts_the_rest),
	    cmocka_unit_test(catalog_load_file__reads_file__and_reports_missing),
	    cmocka_unit_test(catalog_complete__matches_prefix__ignoring_cyrillic_case),
	    cmocka_unit_test(catalog_search__finds_substring__in_name_or_code),
	    cmocka_unit_test(catalog_fold__lowers_cyrillic__without_locale),
	    cmocka_unit_test(catalog_load__10000_rows__all_loaded_and_found),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
