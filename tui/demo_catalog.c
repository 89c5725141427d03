#include "demo_catalog.h"

/*
 * Names stay in Russian in every locale: they are goods on a Russian
 * shelf, and they show that Cyrillic columns line up. Weighed goods are
 * priced per kilogram.
 */
static const struct catalog_item items[] = {
    {"1001", "Хлеб «Бородинский» 400 г", 5490, UNIT_PIECE, VAT_VAT10, 1},
    {"1002", "Молоко 3,2% 1 л", 8990, UNIT_PIECE, VAT_VAT10, 1},
    {"1003", "Яблоки Гала", 14900, UNIT_KG, VAT_VAT10, 1},
    {"1004", "Бананы", 11990, UNIT_KG, VAT_VAT10, 1},
    {"1005", "Сыр «Российский»", 74900, UNIT_KG, VAT_VAT10, 1},
    {"1006", "Кофе молотый 250 г", 45900, UNIT_PIECE, VAT_VAT20, 1},
    {"1007", "Чай чёрный, 100 пакетиков", 28900, UNIT_PIECE, VAT_VAT20, 1},
    {"1008", "Шоколад тёмный 90 г", 12990, UNIT_PIECE, VAT_VAT20, 1},
    {"1009", "Вода питьевая 1,5 л", 4990, UNIT_PIECE, VAT_VAT20, 1},
    {"1010", "Пакет-майка", 700, UNIT_PIECE, VAT_VAT20, 1},
    {"1011", "Сахар-песок 1 кг", 8900, UNIT_PIECE, VAT_VAT10, 1},
    {"1012", "Картофель", 3990, UNIT_KG, VAT_VAT10, 1},
    {"1013", "Батарейки AA, 4 шт.", 24900, UNIT_PIECE, VAT_VAT20, 1},
    {"1014", "Гречка ядрица 900 г", 11490, UNIT_PIECE, VAT_VAT10, 1},
    {"1015", "Сок яблочный 1 л", 13990, UNIT_PIECE, VAT_VAT20, 1},
    {"1016", "Доставка", 30000, UNIT_PIECE, VAT_VAT20, 4},
    {"4601234567890", "Йогурт клубничный 2,5%", 6490, UNIT_PIECE, VAT_VAT10, 1},
    {"4607001234561", "Монитор DELL U2412M", 2073000, UNIT_PIECE, VAT_VAT20, 1},
};

const struct catalog_item *demo_catalog(size_t *n)
{
	*n = sizeof items / sizeof items[0];
	return items;
}
