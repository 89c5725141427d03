/*
 * Request bodies in the shapes published LifePay and PayKeeper integrations
 * send (written here from reading them; see docs/SANDBOX.md, "Conformance"),
 * shared by the tolerant and the strict conformance tests. Each names the
 * integration whose shape it follows.
 */
#ifndef KASSA_CONFORMANCE_CASES_H
#define KASSA_CONFORMANCE_CASES_H

#define CF_AUTH "\"apikey\":\"sandbox-apikey\",\"login\":\"70000000000\""
#define CF_RECEIPT "/cloud-print/create-receipt"
#define CF_FFD12 "/cloud-print-ffd1_2/create-receipt"

/*
 * OpenCart LifePay extension: its settings array (with `enable`) sent along, the order total
 * as DECIMAL(15,4) text, customer_phone "" when the phone does not look Russian.
 */
#define CF_OPENCART                                                                                   \
	"{\"enable\":\"1\",\"test\":\"0\"," CF_AUTH ",\"mode\":\"email\",\"type\":\"payment\","       \
	"\"customer_phone\":\"\",\"customer_email\":\"buyer@example.ru\",\"ext_id\":\"1001\","        \
	"\"card_amount\":\"1500.0000\",\"purchase\":{\"products\":[{\"name\":\"Кофемолка\"," \
	"\"price\":1500,\"quantity\":1}]}}"

/*
 * Bitrix lifepay.cloudprint: the basket's QUANTITY as Bitrix stores it ("1.0000"), an empty
 * target_serial when no printer is configured, customer_phone 0 when there is no phone.
 */
#define CF_BITRIX                                                                                  \
	"{\"type\":\"payment\",\"customer_phone\":0," CF_AUTH ",\"target_serial\":\"\","           \
	"\"mode\":\"email\",\"customer_email\":\"buyer@example.ru\","                              \
	"\"ext_id\":\"2001__shop.example\",\"card_amount\":\"#\",\"purchase\":{\"products\":[{"    \
	"\"name\":"                                                                                \
	"\"Чайник\",\"price\":2490.5,\"quantity\":\"1.0000\",\"unit\":\"piece\",\"tax\":"    \
	"\"vat20\"}]}}"

/* MODX mspLifePay: the product option `vat` passed as is, test as a boolean, cost as a float. */
#define CF_MODX                                                                                    \
	"{\"ext_id\":\"3001\"," CF_AUTH ",\"test\":false,\"mode\":\"email\",\"type\":\"payment\"," \
	"\"card_amount\":1200.0,\"customer_email\":\"reader@example.ru\",\"purchase\":"            \
	"{\"products\":[{\"name\":\"Книга\",\"price\":600,\"quantity\":2,\"vat\":\"vat10\"}]}}"

/* Laravel (smartik-api) on the FFD 1.2 path, receipt 1: full prepayment (type 1). */
#define CF_LARAVEL_PREPAY                                                                          \
	"{" CF_AUTH ",\"test\":0,\"mode\":\"email\",\"type\":\"payment\",\"ext_id\":"              \
	"\"payment-1-77\",\"order_number\":\"S-77\",\"tax_system\":\"osn\",\"customer_email\":"    \
	"\"a@example.ru\",\"card_amount\":990,\"purchase\":{\"products\":[{\"key\":0,\"name\":"    \
	"\"Молоко\",\"price\":99,\"quantity\":10,\"tax\":\"vat20\",\"type\":1,\"item_type\":1}]}}"

/* The same, receipt 2: full settlement by the advance, a marked item with its code (GS kept). */
#define CF_LARAVEL_FINAL                                                                               \
	"{" CF_AUTH ",\"test\":0,\"mode\":\"email\",\"type\":\"payment\",\"ext_id\":"                  \
	"\"payment-4-77\",\"order_number\":\"S-77\",\"tax_system\":\"osn\",\"customer_email\":"        \
	"\"a@example.ru\",\"prepayment_amount\":990,\"purchase\":{\"products\":[{\"key\":0,"           \
	"\"name\":\"Молоко\",\"price\":99,\"quantity\":1.0,\"tax\":\"vat20\",\"type\":4,"        \
	"\"item_type\":33,\"marking_code\":\"0104600439931256215Mgc7b\\u001d93dGVz\","                 \
	"\"marking_code_status\":1},{\"key\":0,\"name\":\"Молоко\",\"price\":99,\"quantity\":9," \
	"\"tax\":\"vat20\",\"type\":4,\"item_type\":1}]}}"

/* What kassa's own dry-run takes: ext_id and customer_phone as JSON integers. */
#define CF_INTEGER_IDS                                                                             \
	"{" CF_AUTH ",\"type\":\"payment\",\"ext_id\":4001,\"customer_phone\":79101234567,"        \
	"\"card_amount\":\"#\",\"purchase\":{\"products\":[{\"name\":\"Хлеб\",\"price\":45.5," \
	"\"quantity\":2}]}}"

/* Seed S1's PHP example, field for field (create-non-fiscal-receipt). */
#define CF_SEED_NONFISCAL                                                                             \
	"{" CF_AUTH ",\"purchase\":{\"products\":[{\"name\":\"Монитор DELL U2412M\",\"unit\":" \
	"\"piece\",\"price\":20730.00,\"quantity\":1,\"discount\":{\"type\":\"percent\","             \
	"\"value\":10}},{\"name\":\"Сканер Canon CanoScan LiDE 120\",\"unit\":\"piece\","       \
	"\"price\":3710.00,\"quantity\":1,\"discount\":{\"type\":\"percent\",\"value\":10}}]},"       \
	"\"type\":\"payment\",\"test\":0,\"cash_amount\":10000,\"card_amount\":\"#\","                \
	"\"payment_place\":\"м. Автозаводская (центр зала)\"}"

/* A quantity whose extra decimals are not zeros: refused in both modes. */
#define CF_BAD_QUANTITY                                                                            \
	"{" CF_AUTH ",\"card_amount\":\"#\",\"purchase\":{\"products\":[{\"name\":\"Сыр\","     \
	"\"price\":100,\"quantity\":\"1.0005\"}]}}"

/* The Bitrix PayKeeper handler's print form (fields in its order; cart as JSON text). */
#define CF_PK_CART                                                                                 \
	"[{\"name\":\"Плед\",\"payment_type\":\"prepay\",\"price\":1500,\"quantity\":1,"       \
	"\"sum\":1500,\"tax\":\"vat20\"}]"

/* What the JustCommunication SDK searches the raw reply body for before renewing its token. */
#define CF_PK_TOKEN_ERROR_ESCAPED                                                                  \
	"\\u0422\\u043e\\u043a\\u0435\\u043d \\u0431\\u0435\\u0437\\u043e\\u043f\\u0430\\u0441"    \
	"\\u043d\\u043e\\u0441\\u0442\\u0438 \\u043d\\u0435 \\u0432\\u0435\\u0440\\u0435\\u043d."

#endif
