/* The built-in instruments: liquid US equities (cent ticks, round lots of
 * 100), CME futures (quarter-point index ticks, 1/64 Treasury ticks) and
 * spot FX (pipettes, lots of one million). Reference prices are plausible
 * levels, not market data. */
#include "gen_internal.h"

#define EQ(sym, cents) {sym, {1, -2}, {cents, -2}, 100}

const fixgw_gen_symbol_t fixgw__gen_symbols[] = {
    EQ("AAPL", 17250),  EQ("MSFT", 41520),  EQ("AMZN", 17810),
    EQ("GOOGL", 14180), EQ("META", 49530),  EQ("NVDA", 87840),
    EQ("TSLA", 16360),  EQ("JPM", 19025),   EQ("V", 28190),
    EQ("XOM", 11640),   EQ("UNH", 48510),   EQ("JNJ", 15730),
    EQ("WMT", 6015),    EQ("PG", 15980),    EQ("HD", 37520),
    EQ("BAC", 3645),    EQ("KO", 6005),     EQ("PFE", 2780),
    EQ("INTC", 4290),   EQ("CSCO", 4870),
    {"ESM4", {25, -2}, {525000, -2}, 1},
    {"NQM4", {25, -2}, {1830000, -2}, 1},
    {"CLK4", {1, -2}, {8120, -2}, 1},
    {"GCM4", {1, -1}, {21800, -1}, 1},
    {"ZNM4", {15625, -6}, {110500000, -6}, 1},
    {"EUR/USD", {1, -5}, {108950, -5}, 1000000},
    {"GBP/USD", {1, -5}, {127310, -5}, 1000000},
    {"USD/JPY", {1, -3}, {151420, -3}, 1000000},
};

#undef EQ

const uint32_t fixgw__gen_nsymbols =
    (uint32_t)(sizeof fixgw__gen_symbols / sizeof fixgw__gen_symbols[0]);

uint32_t fixgw_gen_symbol_count(void) { return fixgw__gen_nsymbols; }

const fixgw_gen_symbol_t *fixgw_gen_symbol(uint32_t i) {
  return i < fixgw__gen_nsymbols ? &fixgw__gen_symbols[i] : NULL;
}
