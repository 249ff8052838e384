/*
 * libfixgw traits: typed access to the hot FIX 4.4 messages.
 *
 * For NewOrderSingle (D), ExecutionReport (8), OrderCancelRequest (F),
 * OrderCancelReplaceRequest (G), MarketDataSnapshotFullRefresh (W),
 * MarketDataIncrementalRefresh (X) and Heartbeat (0), and for the group
 * entries they carry (Parties, MDEntries), each FIXGW_FIX44_*_FIELDS list
 * below names the fields a trading application reads and writes, as
 * X(p, tag, FIX name, member, kind, required, entry trait) in the order of
 * the FIX44 dictionary. A test checks every row against the FIX44 tables
 * (tag, name, kind for the FIX type, required flag in that message or
 * group). From each list this header makes:
 *
 *   fixgw_fix44_<trait>_t        a struct: `present` (bit i set when the
 *                                i-th listed field is there), one typed
 *                                member per field, and for messages `hdr`
 *                                (the standard header fields, read only)
 *   FIXGW_FIX44_<TRAIT>_REQUIRED the mask of required fields, a constant
 *   fixgw_fix44_<trait>_read     parsed message (or group entry) -> struct
 *   fixgw_fix44_<trait>_encode   struct -> encoder, fields in dictionary
 *                                order, required ones checked
 *
 * Kinds and their C types: STR fixgw_str_t (a view into the message),
 * INT int64_t, DEC fixgw_decimal_t, CHAR char, BOOL bool, TS int64_t ns
 * since the epoch, TIME int64_t ns since midnight, DATE fixgw_date_t, GRP
 * fixgw_trait_group_t. Fields of the message that are not listed are
 * skipped (their values stay reachable through msg->fields); the groups
 * they open are skipped whole, so their members never pass for top-level
 * fields.
 *
 * Reading costs one pass over msg->fields: the switch each list expands to
 * is a compile-time perfect hash of its tags, so fields sent in another
 * order than the dictionary's cost the same, and a conversion per listed
 * field. It never allocates and never fails half-way: every convertible
 * field is stored; the first conversion error (FIXGW_EFORMAT /
 * FIXGW_ERANGE) or a missing required field (FIXGW_EREQUIRED) is returned
 * after the pass. Reading does not validate (fixgw_validate does).
 *
 * Building: C and C++ code fill the required fields through
 * FIXGW_FIX44_<TRAIT>_INIT(...) (a compound literal in C, an inline
 * function in C++), whose parameters are exactly the required fields (a
 * static assertion keeps that so as the lists change), and the optional
 * ones through FIXGW_TRAIT_SET(); encode checks the required mask again
 * at run time for structs built otherwise, and any error it returns is
 * also the encoder's sticky error, so fixgw_enc_finish() refuses the
 * message.
 * Encode appends body fields after fixgw_enc_begin(); the standard header
 * (49, 56, 34, 52) is the session's to stamp.
 *
 * Thread-safety: all functions are reentrant; structs belong to their
 * caller. STR members and group views point into the parsed message and
 * are valid as long as it is.
 */
#ifndef FIXGW_TRAITS_H
#define FIXGW_TRAITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixgw/codec.h"
#include "fixgw/common.h"
#include "fixgw/dict.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A repeating group member. Read: view is the group in the parsed message
 * (walk it with fixgw_dict_group_next(fixgw_dict_fix44(), ...) and read
 * each entry with the entry trait's _read). Encode: entries points at
 * nentries structs of the entry trait. */
typedef struct fixgw_trait_group {
  fixgw_group_t view;
  const void *entries;
  uint32_t nentries;
} fixgw_trait_group_t;

typedef fixgw_str_t fixgw__tk_STR;
typedef int64_t fixgw__tk_INT;
typedef fixgw_decimal_t fixgw__tk_DEC;
typedef char fixgw__tk_CHAR;
typedef bool fixgw__tk_BOOL;
typedef int64_t fixgw__tk_TS;
typedef int64_t fixgw__tk_TIME;
typedef fixgw_date_t fixgw__tk_DATE;
typedef fixgw_trait_group_t fixgw__tk_GRP;

/* ------------------------------------------------------------- lists */

/* The standard header fields a message trait reads into its `hdr`. */
#define FIXGW_FIX44_HEADER_FIELDS(X, p)                          \
  X(p, 49, SenderCompID, sender_comp_id, STR, 1, _)              \
  X(p, 56, TargetCompID, target_comp_id, STR, 1, _)              \
  X(p, 115, OnBehalfOfCompID, on_behalf_of_comp_id, STR, 0, _)   \
  X(p, 128, DeliverToCompID, deliver_to_comp_id, STR, 0, _)      \
  X(p, 34, MsgSeqNum, msg_seq_num, INT, 1, _)                    \
  X(p, 50, SenderSubID, sender_sub_id, STR, 0, _)                \
  X(p, 57, TargetSubID, target_sub_id, STR, 0, _)                \
  X(p, 43, PossDupFlag, poss_dup_flag, BOOL, 0, _)               \
  X(p, 97, PossResend, poss_resend, BOOL, 0, _)                  \
  X(p, 52, SendingTime, sending_time, TS, 1, _)                  \
  X(p, 122, OrigSendingTime, orig_sending_time, TS, 0, _)

#define FIXGW_FIX44_NEW_ORDER_SINGLE_FIELDS(X, p) \
  X(p, 11, ClOrdID, cl_ord_id, STR, 1, _) \
  X(p, 526, SecondaryClOrdID, secondary_cl_ord_id, STR, 0, _) \
  X(p, 453, NoPartyIDs, no_party_ids, GRP, 0, party) \
  X(p, 1, Account, account, STR, 0, _) \
  X(p, 581, AccountType, account_type, INT, 0, _) \
  X(p, 63, SettlType, settl_type, CHAR, 0, _) \
  X(p, 64, SettlDate, settl_date, DATE, 0, _) \
  X(p, 21, HandlInst, handl_inst, CHAR, 0, _) \
  X(p, 18, ExecInst, exec_inst, STR, 0, _) \
  X(p, 110, MinQty, min_qty, DEC, 0, _) \
  X(p, 111, MaxFloor, max_floor, DEC, 0, _) \
  X(p, 100, ExDestination, ex_destination, STR, 0, _) \
  X(p, 55, Symbol, symbol, STR, 0, _) \
  X(p, 65, SymbolSfx, symbol_sfx, STR, 0, _) \
  X(p, 48, SecurityID, security_id, STR, 0, _) \
  X(p, 22, SecurityIDSource, security_id_source, STR, 0, _) \
  X(p, 460, Product, product, INT, 0, _) \
  X(p, 167, SecurityType, security_type, STR, 0, _) \
  X(p, 200, MaturityMonthYear, maturity_month_year, STR, 0, _) \
  X(p, 207, SecurityExchange, security_exchange, STR, 0, _) \
  X(p, 54, Side, side, CHAR, 1, _) \
  X(p, 60, TransactTime, transact_time, TS, 1, _) \
  X(p, 38, OrderQty, order_qty, DEC, 0, _) \
  X(p, 152, CashOrderQty, cash_order_qty, DEC, 0, _) \
  X(p, 40, OrdType, ord_type, CHAR, 1, _) \
  X(p, 44, Price, price, DEC, 0, _) \
  X(p, 99, StopPx, stop_px, DEC, 0, _) \
  X(p, 15, Currency, currency, STR, 0, _) \
  X(p, 59, TimeInForce, time_in_force, CHAR, 0, _) \
  X(p, 168, EffectiveTime, effective_time, TS, 0, _) \
  X(p, 432, ExpireDate, expire_date, DATE, 0, _) \
  X(p, 126, ExpireTime, expire_time, TS, 0, _) \
  X(p, 528, OrderCapacity, order_capacity, CHAR, 0, _) \
  X(p, 529, OrderRestrictions, order_restrictions, STR, 0, _) \
  X(p, 58, Text, text, STR, 0, _) \
  X(p, 77, PositionEffect, position_effect, CHAR, 0, _) \
  X(p, 210, MaxShow, max_show, DEC, 0, _) \
  X(p, 388, DiscretionInst, discretion_inst, CHAR, 0, _)

#define FIXGW_FIX44_EXECUTION_REPORT_FIELDS(X, p) \
  X(p, 37, OrderID, order_id, STR, 1, _) \
  X(p, 198, SecondaryOrderID, secondary_order_id, STR, 0, _) \
  X(p, 11, ClOrdID, cl_ord_id, STR, 0, _) \
  X(p, 41, OrigClOrdID, orig_cl_ord_id, STR, 0, _) \
  X(p, 453, NoPartyIDs, no_party_ids, GRP, 0, party) \
  X(p, 17, ExecID, exec_id, STR, 1, _) \
  X(p, 19, ExecRefID, exec_ref_id, STR, 0, _) \
  X(p, 150, ExecType, exec_type, CHAR, 1, _) \
  X(p, 39, OrdStatus, ord_status, CHAR, 1, _) \
  X(p, 103, OrdRejReason, ord_rej_reason, INT, 0, _) \
  X(p, 378, ExecRestatementReason, exec_restatement_reason, INT, 0, _) \
  X(p, 1, Account, account, STR, 0, _) \
  X(p, 581, AccountType, account_type, INT, 0, _) \
  X(p, 63, SettlType, settl_type, CHAR, 0, _) \
  X(p, 64, SettlDate, settl_date, DATE, 0, _) \
  X(p, 55, Symbol, symbol, STR, 0, _) \
  X(p, 65, SymbolSfx, symbol_sfx, STR, 0, _) \
  X(p, 48, SecurityID, security_id, STR, 0, _) \
  X(p, 22, SecurityIDSource, security_id_source, STR, 0, _) \
  X(p, 167, SecurityType, security_type, STR, 0, _) \
  X(p, 200, MaturityMonthYear, maturity_month_year, STR, 0, _) \
  X(p, 207, SecurityExchange, security_exchange, STR, 0, _) \
  X(p, 54, Side, side, CHAR, 1, _) \
  X(p, 38, OrderQty, order_qty, DEC, 0, _) \
  X(p, 152, CashOrderQty, cash_order_qty, DEC, 0, _) \
  X(p, 40, OrdType, ord_type, CHAR, 0, _) \
  X(p, 44, Price, price, DEC, 0, _) \
  X(p, 99, StopPx, stop_px, DEC, 0, _) \
  X(p, 15, Currency, currency, STR, 0, _) \
  X(p, 59, TimeInForce, time_in_force, CHAR, 0, _) \
  X(p, 168, EffectiveTime, effective_time, TS, 0, _) \
  X(p, 432, ExpireDate, expire_date, DATE, 0, _) \
  X(p, 126, ExpireTime, expire_time, TS, 0, _) \
  X(p, 18, ExecInst, exec_inst, STR, 0, _) \
  X(p, 528, OrderCapacity, order_capacity, CHAR, 0, _) \
  X(p, 32, LastQty, last_qty, DEC, 0, _) \
  X(p, 31, LastPx, last_px, DEC, 0, _) \
  X(p, 30, LastMkt, last_mkt, STR, 0, _) \
  X(p, 29, LastCapacity, last_capacity, CHAR, 0, _) \
  X(p, 151, LeavesQty, leaves_qty, DEC, 1, _) \
  X(p, 14, CumQty, cum_qty, DEC, 1, _) \
  X(p, 6, AvgPx, avg_px, DEC, 1, _) \
  X(p, 75, TradeDate, trade_date, DATE, 0, _) \
  X(p, 60, TransactTime, transact_time, TS, 0, _) \
  X(p, 113, ReportToExch, report_to_exch, BOOL, 0, _) \
  X(p, 12, Commission, commission, DEC, 0, _) \
  X(p, 13, CommType, comm_type, CHAR, 0, _) \
  X(p, 381, GrossTradeAmt, gross_trade_amt, DEC, 0, _) \
  X(p, 118, NetMoney, net_money, DEC, 0, _) \
  X(p, 77, PositionEffect, position_effect, CHAR, 0, _) \
  X(p, 210, MaxShow, max_show, DEC, 0, _) \
  X(p, 58, Text, text, STR, 0, _)

#define FIXGW_FIX44_ORDER_CANCEL_REQUEST_FIELDS(X, p) \
  X(p, 41, OrigClOrdID, orig_cl_ord_id, STR, 1, _) \
  X(p, 37, OrderID, order_id, STR, 0, _) \
  X(p, 11, ClOrdID, cl_ord_id, STR, 1, _) \
  X(p, 526, SecondaryClOrdID, secondary_cl_ord_id, STR, 0, _) \
  X(p, 1, Account, account, STR, 0, _) \
  X(p, 453, NoPartyIDs, no_party_ids, GRP, 0, party) \
  X(p, 55, Symbol, symbol, STR, 0, _) \
  X(p, 65, SymbolSfx, symbol_sfx, STR, 0, _) \
  X(p, 48, SecurityID, security_id, STR, 0, _) \
  X(p, 22, SecurityIDSource, security_id_source, STR, 0, _) \
  X(p, 167, SecurityType, security_type, STR, 0, _) \
  X(p, 54, Side, side, CHAR, 1, _) \
  X(p, 60, TransactTime, transact_time, TS, 1, _) \
  X(p, 38, OrderQty, order_qty, DEC, 0, _) \
  X(p, 152, CashOrderQty, cash_order_qty, DEC, 0, _) \
  X(p, 58, Text, text, STR, 0, _)

#define FIXGW_FIX44_ORDER_CANCEL_REPLACE_REQUEST_FIELDS(X, p) \
  X(p, 37, OrderID, order_id, STR, 0, _) \
  X(p, 453, NoPartyIDs, no_party_ids, GRP, 0, party) \
  X(p, 41, OrigClOrdID, orig_cl_ord_id, STR, 1, _) \
  X(p, 11, ClOrdID, cl_ord_id, STR, 1, _) \
  X(p, 526, SecondaryClOrdID, secondary_cl_ord_id, STR, 0, _) \
  X(p, 1, Account, account, STR, 0, _) \
  X(p, 63, SettlType, settl_type, CHAR, 0, _) \
  X(p, 64, SettlDate, settl_date, DATE, 0, _) \
  X(p, 21, HandlInst, handl_inst, CHAR, 0, _) \
  X(p, 18, ExecInst, exec_inst, STR, 0, _) \
  X(p, 110, MinQty, min_qty, DEC, 0, _) \
  X(p, 111, MaxFloor, max_floor, DEC, 0, _) \
  X(p, 100, ExDestination, ex_destination, STR, 0, _) \
  X(p, 55, Symbol, symbol, STR, 0, _) \
  X(p, 65, SymbolSfx, symbol_sfx, STR, 0, _) \
  X(p, 48, SecurityID, security_id, STR, 0, _) \
  X(p, 22, SecurityIDSource, security_id_source, STR, 0, _) \
  X(p, 167, SecurityType, security_type, STR, 0, _) \
  X(p, 54, Side, side, CHAR, 1, _) \
  X(p, 60, TransactTime, transact_time, TS, 1, _) \
  X(p, 38, OrderQty, order_qty, DEC, 0, _) \
  X(p, 152, CashOrderQty, cash_order_qty, DEC, 0, _) \
  X(p, 40, OrdType, ord_type, CHAR, 1, _) \
  X(p, 44, Price, price, DEC, 0, _) \
  X(p, 99, StopPx, stop_px, DEC, 0, _) \
  X(p, 15, Currency, currency, STR, 0, _) \
  X(p, 59, TimeInForce, time_in_force, CHAR, 0, _) \
  X(p, 168, EffectiveTime, effective_time, TS, 0, _) \
  X(p, 432, ExpireDate, expire_date, DATE, 0, _) \
  X(p, 126, ExpireTime, expire_time, TS, 0, _) \
  X(p, 528, OrderCapacity, order_capacity, CHAR, 0, _) \
  X(p, 58, Text, text, STR, 0, _) \
  X(p, 77, PositionEffect, position_effect, CHAR, 0, _) \
  X(p, 210, MaxShow, max_show, DEC, 0, _)

#define FIXGW_FIX44_MARKET_DATA_SNAPSHOT_FIELDS(X, p) \
  X(p, 262, MDReqID, md_req_id, STR, 0, _) \
  X(p, 55, Symbol, symbol, STR, 0, _) \
  X(p, 65, SymbolSfx, symbol_sfx, STR, 0, _) \
  X(p, 48, SecurityID, security_id, STR, 0, _) \
  X(p, 22, SecurityIDSource, security_id_source, STR, 0, _) \
  X(p, 167, SecurityType, security_type, STR, 0, _) \
  X(p, 200, MaturityMonthYear, maturity_month_year, STR, 0, _) \
  X(p, 207, SecurityExchange, security_exchange, STR, 0, _) \
  X(p, 291, FinancialStatus, financial_status, STR, 0, _) \
  X(p, 292, CorporateAction, corporate_action, STR, 0, _) \
  X(p, 451, NetChgPrevDay, net_chg_prev_day, DEC, 0, _) \
  X(p, 268, NoMDEntries, no_md_entries, GRP, 1, md_entry) \
  X(p, 813, ApplQueueDepth, appl_queue_depth, INT, 0, _) \
  X(p, 814, ApplQueueResolution, appl_queue_resolution, INT, 0, _)

#define FIXGW_FIX44_MARKET_DATA_INCREMENTAL_FIELDS(X, p) \
  X(p, 262, MDReqID, md_req_id, STR, 0, _) \
  X(p, 268, NoMDEntries, no_md_entries, GRP, 1, md_inc_entry) \
  X(p, 813, ApplQueueDepth, appl_queue_depth, INT, 0, _) \
  X(p, 814, ApplQueueResolution, appl_queue_resolution, INT, 0, _)

#define FIXGW_FIX44_HEARTBEAT_FIELDS(X, p) \
  X(p, 112, TestReqID, test_req_id, STR, 0, _)

#define FIXGW_FIX44_MD_ENTRY_FIELDS(X, p) \
  X(p, 269, MDEntryType, md_entry_type, CHAR, 1, _) \
  X(p, 270, MDEntryPx, md_entry_px, DEC, 0, _) \
  X(p, 15, Currency, currency, STR, 0, _) \
  X(p, 271, MDEntrySize, md_entry_size, DEC, 0, _) \
  X(p, 272, MDEntryDate, md_entry_date, DATE, 0, _) \
  X(p, 273, MDEntryTime, md_entry_time, TIME, 0, _) \
  X(p, 274, TickDirection, tick_direction, CHAR, 0, _) \
  X(p, 275, MDMkt, md_mkt, STR, 0, _) \
  X(p, 336, TradingSessionID, trading_session_id, STR, 0, _) \
  X(p, 276, QuoteCondition, quote_condition, STR, 0, _) \
  X(p, 277, TradeCondition, trade_condition, STR, 0, _) \
  X(p, 282, MDEntryOriginator, md_entry_originator, STR, 0, _) \
  X(p, 283, LocationID, location_id, STR, 0, _) \
  X(p, 284, DeskID, desk_id, STR, 0, _) \
  X(p, 286, OpenCloseSettlFlag, open_close_settl_flag, STR, 0, _) \
  X(p, 287, SellerDays, seller_days, INT, 0, _) \
  X(p, 37, OrderID, order_id, STR, 0, _) \
  X(p, 299, QuoteEntryID, quote_entry_id, STR, 0, _) \
  X(p, 288, MDEntryBuyer, md_entry_buyer, STR, 0, _) \
  X(p, 289, MDEntrySeller, md_entry_seller, STR, 0, _) \
  X(p, 346, NumberOfOrders, number_of_orders, INT, 0, _) \
  X(p, 290, MDEntryPositionNo, md_entry_position_no, INT, 0, _) \
  X(p, 58, Text, text, STR, 0, _)

#define FIXGW_FIX44_MD_INC_ENTRY_FIELDS(X, p) \
  X(p, 279, MDUpdateAction, md_update_action, CHAR, 1, _) \
  X(p, 285, DeleteReason, delete_reason, CHAR, 0, _) \
  X(p, 269, MDEntryType, md_entry_type, CHAR, 0, _) \
  X(p, 278, MDEntryID, md_entry_id, STR, 0, _) \
  X(p, 280, MDEntryRefID, md_entry_ref_id, STR, 0, _) \
  X(p, 55, Symbol, symbol, STR, 0, _) \
  X(p, 65, SymbolSfx, symbol_sfx, STR, 0, _) \
  X(p, 48, SecurityID, security_id, STR, 0, _) \
  X(p, 22, SecurityIDSource, security_id_source, STR, 0, _) \
  X(p, 167, SecurityType, security_type, STR, 0, _) \
  X(p, 270, MDEntryPx, md_entry_px, DEC, 0, _) \
  X(p, 15, Currency, currency, STR, 0, _) \
  X(p, 271, MDEntrySize, md_entry_size, DEC, 0, _) \
  X(p, 272, MDEntryDate, md_entry_date, DATE, 0, _) \
  X(p, 273, MDEntryTime, md_entry_time, TIME, 0, _) \
  X(p, 274, TickDirection, tick_direction, CHAR, 0, _) \
  X(p, 275, MDMkt, md_mkt, STR, 0, _) \
  X(p, 336, TradingSessionID, trading_session_id, STR, 0, _) \
  X(p, 276, QuoteCondition, quote_condition, STR, 0, _) \
  X(p, 277, TradeCondition, trade_condition, STR, 0, _) \
  X(p, 37, OrderID, order_id, STR, 0, _) \
  X(p, 299, QuoteEntryID, quote_entry_id, STR, 0, _) \
  X(p, 346, NumberOfOrders, number_of_orders, INT, 0, _) \
  X(p, 290, MDEntryPositionNo, md_entry_position_no, INT, 0, _) \
  X(p, 451, NetChgPrevDay, net_chg_prev_day, DEC, 0, _) \
  X(p, 58, Text, text, STR, 0, _)

#define FIXGW_FIX44_PARTY_FIELDS(X, p) \
  X(p, 448, PartyID, party_id, STR, 0, _) \
  X(p, 447, PartyIDSource, party_id_source, CHAR, 0, _) \
  X(p, 452, PartyRole, party_role, INT, 0, _)


/* ------------------------------------------------------- the machinery */

#define FIXGW__TRAIT_BIT(p, tag, Name, member, K, req, sub) fixgw_fix44_##p##_bit_##member,
#define FIXGW__TRAIT_MEMBER(p, tag, Name, member, K, req, sub) fixgw__tk_##K member;
/* (No C-style casts in macros a host expands: C++ hosts may build with
 * -Wold-style-cast. UINT64_C pastes a suffix onto the literal 0 or 1.) */
#define FIXGW__TRAIT_REQ(p, tag, Name, member, K, req, sub) \
  | (UINT64_C(req) << fixgw_fix44_##p##_bit_##member)

/* A compile-time check: C++11 and C11 have one; C99 gets an array whose
 * size is negative when c is false (id names it, unique per use). */
#if defined(__cplusplus)
#define FIXGW__STATIC_ASSERT(c, m, id) static_assert(c, m);
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define FIXGW__STATIC_ASSERT(c, m, id) _Static_assert(c, m);
#else
#define FIXGW__STATIC_ASSERT(c, m, id) typedef char fixgw__assert_##id[(c) ? 1 : -1];
#endif

/* Bit of a listed field in present. */
#define FIXGW_TRAIT_BIT(trait, member) (UINT64_C(1) << fixgw_fix44_##trait##_bit_##member)
/* Is member present in s (a struct of trait)? */
#define FIXGW_TRAIT_HAS(trait, s, member) \
  (((s).present >> fixgw_fix44_##trait##_bit_##member) & 1u)
/* Set member of s and mark it present. */
#define FIXGW_TRAIT_SET(trait, s, member, v) \
  ((s).member = (v), (s).present |= FIXGW_TRAIT_BIT(trait, member))

/* The struct, bit enum and required mask of a trait. */
#define FIXGW__TRAIT_TYPE(trait, LIST, extra)                                \
  enum { LIST(FIXGW__TRAIT_BIT, trait) fixgw_fix44_##trait##_nfields };     \
  FIXGW__STATIC_ASSERT(fixgw_fix44_##trait##_nfields <= 64,                 \
                       "a trait lists at most 64 fields", nfields_##trait)   \
  typedef struct fixgw_fix44_##trait {                                      \
    uint64_t present;                                                       \
    extra LIST(FIXGW__TRAIT_MEMBER, trait)                                  \
  } fixgw_fix44_##trait##_t;

FIXGW__TRAIT_TYPE(header, FIXGW_FIX44_HEADER_FIELDS, )
#define FIXGW_FIX44_HEADER_REQUIRED (0 FIXGW_FIX44_HEADER_FIELDS(FIXGW__TRAIT_REQ, header))

/* X(trait, LIST, MsgType or 0 for an entry trait) */
#define FIXGW_FIX44_MSG_TRAITS(X)                                                  \
  X(new_order_single, FIXGW_FIX44_NEW_ORDER_SINGLE_FIELDS, "D")                    \
  X(execution_report, FIXGW_FIX44_EXECUTION_REPORT_FIELDS, "8")                    \
  X(order_cancel_request, FIXGW_FIX44_ORDER_CANCEL_REQUEST_FIELDS, "F")            \
  X(order_cancel_replace_request, FIXGW_FIX44_ORDER_CANCEL_REPLACE_REQUEST_FIELDS, \
    "G")                                                                           \
  X(market_data_snapshot, FIXGW_FIX44_MARKET_DATA_SNAPSHOT_FIELDS, "W")            \
  X(market_data_incremental, FIXGW_FIX44_MARKET_DATA_INCREMENTAL_FIELDS, "X")      \
  X(heartbeat, FIXGW_FIX44_HEARTBEAT_FIELDS, "0")
/* X(trait, LIST, count tag of the group) */
#define FIXGW_FIX44_ENTRY_TRAITS(X)                \
  X(party, FIXGW_FIX44_PARTY_FIELDS, 453)          \
  X(md_entry, FIXGW_FIX44_MD_ENTRY_FIELDS, 268)    \
  X(md_inc_entry, FIXGW_FIX44_MD_INC_ENTRY_FIELDS, 268)

#define FIXGW__MSG_TRAIT_DECL(trait, LIST, mt_)                                 \
  FIXGW__TRAIT_TYPE(trait, LIST, fixgw_fix44_header_t hdr;)                         \
  /* Read m (its MsgType must be the trait's: else FIXGW_EINVAL) into *out. Returns 0,  \
   * FIXGW_EFORMAT / FIXGW_ERANGE (first failed conversion), FIXGW_EREQUIRED    \
   * (a required field of the list or header absent), a group error of         \
   * fixgw_dict_group_open for a listed group, or FIXGW_EINVAL. */             \
  int fixgw_fix44_##trait##_read(const fixgw_msg_t *m, fixgw_fix44_##trait##_t *out); \
  /* Append the present fields (groups with their entries) to e. Returns 0,    \
   * FIXGW_EREQUIRED (nothing written), FIXGW_EINVAL, or the encoder's error;  \
   * every error is also left in e->err, so fixgw_enc_finish() fails too. TS  \
   * fields are written at precision prec. */                                   \
  int fixgw_fix44_##trait##_encode(fixgw_encoder_t *e,                              \
                                   const fixgw_fix44_##trait##_t *in,                \
                                   fixgw_ts_precision prec);
#define FIXGW__ENTRY_TRAIT_DECL(trait, LIST, count_tag)                            \
  FIXGW__TRAIT_TYPE(trait, LIST, )                                                 \
  /* Read one entry (from fixgw_dict_group_next) into *out. Same returns as a  \
   * message's _read. */                                                        \
  int fixgw_fix44_##trait##_read(const fixgw_group_entry_t *e,                     \
                                 fixgw_fix44_##trait##_t *out);                    \
  /* Append one entry's fields (the delimiter first). Same returns as a     \
   * message's _encode, errors sticky in e->err too. */                        \
  int fixgw_fix44_##trait##_encode(fixgw_encoder_t *e,                             \
                                   const fixgw_fix44_##trait##_t *in,               \
                                   fixgw_ts_precision prec);

FIXGW_FIX44_ENTRY_TRAITS(FIXGW__ENTRY_TRAIT_DECL)
FIXGW_FIX44_MSG_TRAITS(FIXGW__MSG_TRAIT_DECL)

#define FIXGW_FIX44_NEW_ORDER_SINGLE_REQUIRED \
  (0 FIXGW_FIX44_NEW_ORDER_SINGLE_FIELDS(FIXGW__TRAIT_REQ, new_order_single))
#define FIXGW_FIX44_EXECUTION_REPORT_REQUIRED \
  (0 FIXGW_FIX44_EXECUTION_REPORT_FIELDS(FIXGW__TRAIT_REQ, execution_report))
#define FIXGW_FIX44_ORDER_CANCEL_REQUEST_REQUIRED \
  (0 FIXGW_FIX44_ORDER_CANCEL_REQUEST_FIELDS(FIXGW__TRAIT_REQ, order_cancel_request))
#define FIXGW_FIX44_ORDER_CANCEL_REPLACE_REQUEST_REQUIRED                   \
  (0 FIXGW_FIX44_ORDER_CANCEL_REPLACE_REQUEST_FIELDS(FIXGW__TRAIT_REQ,      \
                                                     order_cancel_replace_request))
#define FIXGW_FIX44_MARKET_DATA_SNAPSHOT_REQUIRED \
  (0 FIXGW_FIX44_MARKET_DATA_SNAPSHOT_FIELDS(FIXGW__TRAIT_REQ, market_data_snapshot))
#define FIXGW_FIX44_MARKET_DATA_INCREMENTAL_REQUIRED \
  (0 FIXGW_FIX44_MARKET_DATA_INCREMENTAL_FIELDS(FIXGW__TRAIT_REQ, market_data_incremental))
#define FIXGW_FIX44_HEARTBEAT_REQUIRED \
  (0 FIXGW_FIX44_HEARTBEAT_FIELDS(FIXGW__TRAIT_REQ, heartbeat))
#define FIXGW_FIX44_PARTY_REQUIRED (0 FIXGW_FIX44_PARTY_FIELDS(FIXGW__TRAIT_REQ, party))
#define FIXGW_FIX44_MD_ENTRY_REQUIRED (0 FIXGW_FIX44_MD_ENTRY_FIELDS(FIXGW__TRAIT_REQ, md_entry))
#define FIXGW_FIX44_MD_INC_ENTRY_REQUIRED \
  (0 FIXGW_FIX44_MD_INC_ENTRY_FIELDS(FIXGW__TRAIT_REQ, md_inc_entry))

/* ------------------------------------------- builders with required args */

/* Each INIT names exactly the required fields; the assertion after it
 * fails to compile if a list's required set and the INIT drift apart. */
#define FIXGW__INIT_CHECK(trait, TRAIT, mask) \
  FIXGW__STATIC_ASSERT((mask) == FIXGW_FIX44_##TRAIT##_REQUIRED, \
                       "INIT of " #trait " must take exactly its required fields", init_##trait)

#define FIXGW__NOS_INIT_MASK                                                   \
  (FIXGW_TRAIT_BIT(new_order_single, cl_ord_id) |                              \
   FIXGW_TRAIT_BIT(new_order_single, side) |                                   \
   FIXGW_TRAIT_BIT(new_order_single, transact_time) |                          \
   FIXGW_TRAIT_BIT(new_order_single, ord_type))
FIXGW__INIT_CHECK(new_order_single, NEW_ORDER_SINGLE, FIXGW__NOS_INIT_MASK)
#define FIXGW__ER_INIT_MASK                                                           \
  (FIXGW_TRAIT_BIT(execution_report, order_id) |                                      \
   FIXGW_TRAIT_BIT(execution_report, exec_id) |                                       \
   FIXGW_TRAIT_BIT(execution_report, exec_type) |                                     \
   FIXGW_TRAIT_BIT(execution_report, ord_status) |                                    \
   FIXGW_TRAIT_BIT(execution_report, side) |                                          \
   FIXGW_TRAIT_BIT(execution_report, leaves_qty) |                                    \
   FIXGW_TRAIT_BIT(execution_report, cum_qty) | FIXGW_TRAIT_BIT(execution_report, avg_px))
FIXGW__INIT_CHECK(execution_report, EXECUTION_REPORT, FIXGW__ER_INIT_MASK)
#define FIXGW__OCR_INIT_MASK                                  \
  (FIXGW_TRAIT_BIT(order_cancel_request, orig_cl_ord_id) |    \
   FIXGW_TRAIT_BIT(order_cancel_request, cl_ord_id) |         \
   FIXGW_TRAIT_BIT(order_cancel_request, side) |              \
   FIXGW_TRAIT_BIT(order_cancel_request, transact_time))
FIXGW__INIT_CHECK(order_cancel_request, ORDER_CANCEL_REQUEST, FIXGW__OCR_INIT_MASK)
#define FIXGW__OCRR_INIT_MASK                                         \
  (FIXGW_TRAIT_BIT(order_cancel_replace_request, orig_cl_ord_id) |    \
   FIXGW_TRAIT_BIT(order_cancel_replace_request, cl_ord_id) |         \
   FIXGW_TRAIT_BIT(order_cancel_replace_request, side) |              \
   FIXGW_TRAIT_BIT(order_cancel_replace_request, transact_time) |     \
   FIXGW_TRAIT_BIT(order_cancel_replace_request, ord_type))
FIXGW__INIT_CHECK(order_cancel_replace_request, ORDER_CANCEL_REPLACE_REQUEST,
                  FIXGW__OCRR_INIT_MASK)
FIXGW__INIT_CHECK(market_data_snapshot, MARKET_DATA_SNAPSHOT,
                  FIXGW_TRAIT_BIT(market_data_snapshot, no_md_entries))
FIXGW__INIT_CHECK(market_data_incremental, MARKET_DATA_INCREMENTAL,
                  FIXGW_TRAIT_BIT(market_data_incremental, no_md_entries))
FIXGW__INIT_CHECK(heartbeat, HEARTBEAT, 0)
FIXGW__INIT_CHECK(md_entry, MD_ENTRY, FIXGW_TRAIT_BIT(md_entry, md_entry_type))
FIXGW__INIT_CHECK(md_inc_entry, MD_INC_ENTRY, FIXGW_TRAIT_BIT(md_inc_entry, md_update_action))
FIXGW__INIT_CHECK(party, PARTY, 0)

/* C: compound literals. */
#ifndef __cplusplus
#define FIXGW_FIX44_NEW_ORDER_SINGLE_INIT(cl_ord_id_, side_, transact_time_, ord_type_) \
  ((fixgw_fix44_new_order_single_t){.present = FIXGW__NOS_INIT_MASK,                    \
                                    .cl_ord_id = (cl_ord_id_),                          \
                                    .side = (side_),                                    \
                                    .transact_time = (transact_time_),                  \
                                    .ord_type = (ord_type_)})
#define FIXGW_FIX44_EXECUTION_REPORT_INIT(order_id_, exec_id_, exec_type_, ord_status_, side_, \
                                          leaves_qty_, cum_qty_, avg_px_)                      \
  ((fixgw_fix44_execution_report_t){.present = FIXGW__ER_INIT_MASK,                           \
                                    .order_id = (order_id_),                                  \
                                    .exec_id = (exec_id_),                                    \
                                    .exec_type = (exec_type_),                                \
                                    .ord_status = (ord_status_),                              \
                                    .side = (side_),                                          \
                                    .leaves_qty = (leaves_qty_),                              \
                                    .cum_qty = (cum_qty_),                                    \
                                    .avg_px = (avg_px_)})
#define FIXGW_FIX44_ORDER_CANCEL_REQUEST_INIT(orig_cl_ord_id_, cl_ord_id_, side_, \
                                              transact_time_)                     \
  ((fixgw_fix44_order_cancel_request_t){.present = FIXGW__OCR_INIT_MASK,          \
                                        .orig_cl_ord_id = (orig_cl_ord_id_),      \
                                        .cl_ord_id = (cl_ord_id_),                \
                                        .side = (side_),                          \
                                        .transact_time = (transact_time_)})
#define FIXGW_FIX44_ORDER_CANCEL_REPLACE_REQUEST_INIT(orig_cl_ord_id_, cl_ord_id_, side_, \
                                                      transact_time_, ord_type_)          \
  ((fixgw_fix44_order_cancel_replace_request_t){.present = FIXGW__OCRR_INIT_MASK,         \
                                                .orig_cl_ord_id = (orig_cl_ord_id_),      \
                                                .cl_ord_id = (cl_ord_id_),                \
                                                .side = (side_),                          \
                                                .transact_time = (transact_time_),        \
                                                .ord_type = (ord_type_)})
/* entries: an array of fixgw_fix44_md_entry_t, n of them. */
#define FIXGW_FIX44_MARKET_DATA_SNAPSHOT_INIT(entries_, n_)                              \
  ((fixgw_fix44_market_data_snapshot_t){                                                 \
      .present = FIXGW_TRAIT_BIT(market_data_snapshot, no_md_entries),                   \
      .no_md_entries = {.entries = (entries_), .nentries = (n_)}})
#define FIXGW_FIX44_MARKET_DATA_INCREMENTAL_INIT(entries_, n_)                           \
  ((fixgw_fix44_market_data_incremental_t){                                              \
      .present = FIXGW_TRAIT_BIT(market_data_incremental, no_md_entries),                \
      .no_md_entries = {.entries = (entries_), .nentries = (n_)}})
#define FIXGW_FIX44_HEARTBEAT_INIT() ((fixgw_fix44_heartbeat_t){.present = 0})
#define FIXGW_FIX44_MD_ENTRY_INIT(md_entry_type_) \
  ((fixgw_fix44_md_entry_t){.present = FIXGW_TRAIT_BIT(md_entry, md_entry_type), \
                            .md_entry_type = (md_entry_type_)})
#define FIXGW_FIX44_MD_INC_ENTRY_INIT(md_update_action_)                                \
  ((fixgw_fix44_md_inc_entry_t){.present = FIXGW_TRAIT_BIT(md_inc_entry, md_update_action), \
                                .md_update_action = (md_update_action_)})
#define FIXGW_FIX44_PARTY_INIT() ((fixgw_fix44_party_t){.present = 0})
#else /* C++: no compound literals; inline functions with the same
        * parameters, so a C++ host gets the same compile-time guarantee:
        * an INIT takes exactly the required fields (checked above), and
        * leaving one out does not compile. */
#define FIXGW__INIT_FN(trait, params, body)                     \
  static inline fixgw_fix44_##trait##_t fixgw__##trait##_init params { \
    fixgw_fix44_##trait##_t s_ = {};                            \
    body return s_;                                             \
  }
FIXGW__INIT_FN(new_order_single,
               (fixgw_str_t cl_ord_id_, char side_, int64_t transact_time_, char ord_type_),
               s_.present = FIXGW__NOS_INIT_MASK; s_.cl_ord_id = cl_ord_id_; s_.side = side_;
               s_.transact_time = transact_time_; s_.ord_type = ord_type_;)
FIXGW__INIT_FN(execution_report,
               (fixgw_str_t order_id_, fixgw_str_t exec_id_, char exec_type_, char ord_status_,
                char side_, fixgw_decimal_t leaves_qty_, fixgw_decimal_t cum_qty_,
                fixgw_decimal_t avg_px_),
               s_.present = FIXGW__ER_INIT_MASK; s_.order_id = order_id_; s_.exec_id = exec_id_;
               s_.exec_type = exec_type_; s_.ord_status = ord_status_; s_.side = side_;
               s_.leaves_qty = leaves_qty_; s_.cum_qty = cum_qty_; s_.avg_px = avg_px_;)
FIXGW__INIT_FN(order_cancel_request,
               (fixgw_str_t orig_cl_ord_id_, fixgw_str_t cl_ord_id_, char side_,
                int64_t transact_time_),
               s_.present = FIXGW__OCR_INIT_MASK; s_.orig_cl_ord_id = orig_cl_ord_id_;
               s_.cl_ord_id = cl_ord_id_; s_.side = side_; s_.transact_time = transact_time_;)
FIXGW__INIT_FN(order_cancel_replace_request,
               (fixgw_str_t orig_cl_ord_id_, fixgw_str_t cl_ord_id_, char side_,
                int64_t transact_time_, char ord_type_),
               s_.present = FIXGW__OCRR_INIT_MASK; s_.orig_cl_ord_id = orig_cl_ord_id_;
               s_.cl_ord_id = cl_ord_id_; s_.side = side_; s_.transact_time = transact_time_;
               s_.ord_type = ord_type_;)
FIXGW__INIT_FN(market_data_snapshot, (const fixgw_fix44_md_entry_t *entries_, uint32_t n_),
               s_.present = FIXGW_TRAIT_BIT(market_data_snapshot, no_md_entries);
               s_.no_md_entries.entries = entries_; s_.no_md_entries.nentries = n_;)
FIXGW__INIT_FN(market_data_incremental,
               (const fixgw_fix44_md_inc_entry_t *entries_, uint32_t n_),
               s_.present = FIXGW_TRAIT_BIT(market_data_incremental, no_md_entries);
               s_.no_md_entries.entries = entries_; s_.no_md_entries.nentries = n_;)
FIXGW__INIT_FN(heartbeat, (void), )
FIXGW__INIT_FN(md_entry, (char md_entry_type_),
               s_.present = FIXGW_TRAIT_BIT(md_entry, md_entry_type);
               s_.md_entry_type = md_entry_type_;)
FIXGW__INIT_FN(md_inc_entry, (char md_update_action_),
               s_.present = FIXGW_TRAIT_BIT(md_inc_entry, md_update_action);
               s_.md_update_action = md_update_action_;)
FIXGW__INIT_FN(party, (void), )
#undef FIXGW__INIT_FN
#define FIXGW_FIX44_NEW_ORDER_SINGLE_INIT(cl_ord_id_, side_, transact_time_, ord_type_) \
  fixgw__new_order_single_init((cl_ord_id_), (side_), (transact_time_), (ord_type_))
#define FIXGW_FIX44_EXECUTION_REPORT_INIT(order_id_, exec_id_, exec_type_, ord_status_, side_, \
                                          leaves_qty_, cum_qty_, avg_px_)                      \
  fixgw__execution_report_init((order_id_), (exec_id_), (exec_type_), (ord_status_), (side_), \
                               (leaves_qty_), (cum_qty_), (avg_px_))
#define FIXGW_FIX44_ORDER_CANCEL_REQUEST_INIT(orig_cl_ord_id_, cl_ord_id_, side_, \
                                              transact_time_)                     \
  fixgw__order_cancel_request_init((orig_cl_ord_id_), (cl_ord_id_), (side_), (transact_time_))
#define FIXGW_FIX44_ORDER_CANCEL_REPLACE_REQUEST_INIT(orig_cl_ord_id_, cl_ord_id_, side_,     \
                                                      transact_time_, ord_type_)              \
  fixgw__order_cancel_replace_request_init((orig_cl_ord_id_), (cl_ord_id_), (side_),          \
                                           (transact_time_), (ord_type_))
#define FIXGW_FIX44_MARKET_DATA_SNAPSHOT_INIT(entries_, n_) \
  fixgw__market_data_snapshot_init((entries_), (n_))
#define FIXGW_FIX44_MARKET_DATA_INCREMENTAL_INIT(entries_, n_) \
  fixgw__market_data_incremental_init((entries_), (n_))
#define FIXGW_FIX44_HEARTBEAT_INIT() fixgw__heartbeat_init()
#define FIXGW_FIX44_MD_ENTRY_INIT(md_entry_type_) fixgw__md_entry_init((md_entry_type_))
#define FIXGW_FIX44_MD_INC_ENTRY_INIT(md_update_action_) \
  fixgw__md_inc_entry_init((md_update_action_))
#define FIXGW_FIX44_PARTY_INIT() fixgw__party_init()
#endif

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_TRAITS_H */
