/* Validation cases shared by test_validate (our verdicts) and
 * test_validate_quickfix (QuickFIX's verdicts on the same bytes).
 *
 * Each case is a message in the '|' form without 8, 9 and 10: the helpers
 * add BeginString, BodyLength and CheckSum, so every case is well framed
 * and only the dictionary rules decide. `reason` and `tag` are our verdict
 * (-1: valid). `qf_reason` is what QuickFIX 1.15's
 * DataDictionary::validate says where it differs by design (-2: same as
 * ours), with `why`. */
#ifndef FIXGW_TEST_VALIDATE_CASES_H
#define FIXGW_TEST_VALIDATE_CASES_H

#define VC_HDR "49=SNDR|56=TRGT|34=2|52=20240315-13:30:00.000|"
#define VC_TS "20240315-13:29:59.999"
#define VC_NOS_BODY \
  "11=ORD1|21=1|55=IBM|54=1|60=" VC_TS "|38=100|40=2|44=10.5|59=0|"
#define VC_NOS "35=D|" VC_HDR VC_NOS_BODY
#define VC_ER                                                               \
  "35=8|" VC_HDR "37=O1|11=C1|17=E1|150=0|39=0|55=IBM|54=1|38=100|40=2|" \
  "44=10|151=100|14=0|6=0|60=" VC_TS "|"
#define VC_CROSS_HEAD "35=s|" VC_HDR "548=X1|549=1|550=0|"
#define VC_CROSS_TAIL "55=IBM|60=" VC_TS "|40=1|"

/* Where the rules come from in the parse (not in the dictionary walk):
 * the parser rejects tag 0 and empty values itself, and
 * fixgw_reject_from_parse_error() turns those into 0 and 4. */
typedef struct vcase {
  const char *name;
  const char *begin; /* BeginString */
  const char *body;  /* from 35= to the last body field, '|' form */
  int reason;        /* ours; -1 valid */
  unsigned tag;      /* our RefTagID */
  int qf_reason;     /* QuickFIX's where it differs; -2 same */
  const char *why;   /* the disagreement, explained */
} vcase_t;

#define SAME -2

static const vcase_t vcases[] = {
    /* ---- valid */
    {"nos", "FIX.4.4", VC_NOS, -1, 0, SAME, 0},
    {"nos_parties", "FIX.4.4",
     VC_NOS "453=2|448=P1|447=D|452=1|448=P2|447=D|452=3|", -1, 0, SAME, 0},
    {"nos_execinst_multi", "FIX.4.4", VC_NOS "18=1 2|", -1, 0, SAME, 0},
    {"er", "FIX.4.4", VC_ER, -1, 0, SAME, 0},
    {"heartbeat", "FIX.4.4", "35=0|" VC_HDR, -1, 0, SAME, 0},
    {"logon", "FIX.4.4", "35=A|" VC_HDR "98=0|108=30|", -1, 0, SAME, 0},
    {"md_snapshot", "FIX.4.4",
     "35=W|" VC_HDR "262=R1|55=IBM|268=2|269=0|270=10.1|271=100|269=1|270=10.2|271=200|",
     -1, 0, SAME, 0},
    {"md_incremental", "FIX.4.4",
     "35=X|" VC_HDR "268=2|279=0|269=0|55=IBM|270=1.5|271=10|279=2|269=1|55=MSFT|270=2|271=5|",
     -1, 0, SAME, 0},
    {"cross_nested", "FIX.4.4",
     VC_CROSS_HEAD "552=2|54=1|11=C1|453=1|448=P1|447=D|452=1|54=2|11=C2|453=2|"
                   "448=P2|447=D|452=1|448=P3|447=D|452=3|" VC_CROSS_TAIL,
     -1, 0, SAME, 0},
    {"cancel_request", "FIX.4.4",
     "35=F|" VC_HDR "41=ORD1|11=ORD2|55=IBM|54=1|60=" VC_TS "|38=100|", -1, 0, SAME, 0},
    {"fix42_nos", "FIX.4.2",
     "35=D|" VC_HDR "11=ORD1|21=1|55=IBM|54=1|60=" VC_TS "|40=1|38=5|", -1, 0, SAME, 0},

    /* ---- 1 required tag missing */
    {"missing_body_11", "FIX.4.4",
     "35=D|" VC_HDR "21=1|55=IBM|54=1|60=" VC_TS "|38=100|40=2|44=10.5|", 1, 11, SAME, 0},
    {"missing_header_49", "FIX.4.4",
     "35=D|56=TRGT|34=2|52=20240315-13:30:00.000|" VC_NOS_BODY, 1, 49, -1,
     "QuickFIX's DataDictionary does not enforce required header fields (its "
     "Session checks CompIDs, MsgSeqNum and SendingTime itself)"},
    {"missing_in_entry_11", "FIX.4.4",
     VC_CROSS_HEAD "552=2|54=1|11=C1|54=2|" VC_CROSS_TAIL, 1, 11, SAME, 0},
    {"missing_group_552", "FIX.4.4", VC_CROSS_HEAD VC_CROSS_TAIL, 1, 552, SAME, 0},

    /* ---- 2 tag not defined for this message type */
    {"er_field_in_nos", "FIX.4.4", VC_NOS "150=0|", 2, 150, SAME, 0},
    {"logon_field_in_er", "FIX.4.4", VC_ER "108=30|", 2, 108, SAME, 0},

    /* ---- 3 undefined tag */
    {"undefined_4999", "FIX.4.4", VC_NOS "4999=x|", 3, 4999, 0,
     "QuickFIX answers a tag its dictionary lacks with InvalidTagNumber (0); "
     "FIX keeps 0 for tags that are not numbers and 3 for undefined ones"},
    {"undefined_user_9999", "FIX.4.4", VC_NOS "9999=x|", 3, 9999, 0,
     "as undefined_4999 (user-defined range, checks on)"},

    /* ---- 5 value incorrect */
    {"side_Z", "FIX.4.4", "35=D|" VC_HDR "11=ORD1|21=1|55=IBM|54=Z|60=" VC_TS "|38=100|40=2|44=10.5|",
     5, 54, SAME, 0},
    {"ordtype_X", "FIX.4.4", "35=D|" VC_HDR "11=ORD1|21=1|55=IBM|54=1|60=" VC_TS "|38=100|40=X|",
     5, 40, SAME, 0},
    {"execinst_bad_member", "FIX.4.4", VC_NOS "18=1 ~|", 5, 18, SAME, 0},
    {"entry_type_bad", "FIX.4.4",
     "35=W|" VC_HDR "55=IBM|268=1|269=%|270=10.1|", 5, 269, -1,
     "QuickFIX checks values and formats of top-level fields only, not of "
     "fields inside group entries"},
    {"header_bool_bad", "FIX.4.4", "35=0|" VC_HDR "43=X|", 6, 43, SAME, 0},

    /* ---- 6 incorrect data format */
    {"qty_abc", "FIX.4.4", "35=D|" VC_HDR "11=ORD1|21=1|55=IBM|54=1|60=" VC_TS "|38=abc|40=2|44=10.5|",
     6, 38, SAME, 0},
    {"time_month13", "FIX.4.4",
     "35=D|" VC_HDR "11=ORD1|21=1|55=IBM|54=1|60=20241315-13:00:00|38=100|40=1|", 6, 60, SAME, 0},
    {"seqnum_x", "FIX.4.4", "35=0|49=SNDR|56=TRGT|34=x|52=20240315-13:30:00.000|", 6, 34, SAME, 0},
    {"char_two_bytes", "FIX.4.4",
     "35=D|" VC_HDR "11=ORD1|21=12|55=IBM|54=1|60=" VC_TS "|38=100|40=1|", 6, 21, SAME, 0},
    {"price_in_entry", "FIX.4.4",
     "35=W|" VC_HDR "55=IBM|268=1|269=0|270=1.2.3|", 6, 270, -1,
     "as entry_type_bad: entry fields are not format-checked by QuickFIX"},
    {"localmktdate_bad", "FIX.4.4", VC_NOS "75=2024031|", 6, 75, -1,
     "QuickFIX converts LocalMktDate as a plain string"},

    /* ---- 0 and 4, found by the parser */
    {"tag_zero", "FIX.4.4", VC_NOS "0=x|", 0, 0, SAME, 0},
    {"tag_leading_zero", "FIX.4.4", VC_NOS "058=x|", 0, 0, -1,
     "QuickFIX reads tag 058 as 58; FIX tags have no leading zeros"},
    {"empty_value", "FIX.4.4", VC_NOS "58=|", 4, 58, SAME, 0},

    /* ---- FIXT.1.1 + FIX50SP2 (ApplVerID 9 or the default) */
    {"fixt_logon", "FIXT.1.1", "35=A|" VC_HDR "98=0|108=30|1137=9|", -1, 0, SAME, 0},
    {"fixt_nos_applverid", "FIXT.1.1", "35=D|" VC_HDR "1128=9|" VC_NOS_BODY, -1, 0, SAME, 0},
    {"fixt_nos_default", "FIXT.1.1", "35=D|" VC_HDR VC_NOS_BODY "1138=5|", -1, 0, SAME, 0},
    {"fixt_nos_foreign_tag", "FIXT.1.1", "35=D|" VC_HDR "1128=9|" VC_NOS_BODY "108=30|", 2, 108,
     SAME, 0},
    {"fixt_nos_missing", "FIXT.1.1", "35=D|" VC_HDR "1128=9|21=1|55=IBM|54=1|60=" VC_TS "|40=1|",
     1, 11, SAME, 0},

    /* ---- 11 invalid MsgType */
    {"msgtype_ZZ", "FIX.4.4", "35=ZZ|" VC_HDR "55=IBM|", 11, 35, SAME, 0},

    /* ---- 13 tag appears more than once */
    {"symbol_twice", "FIX.4.4", VC_NOS "55=MSFT|", 13, 55, SAME, 0},
    {"header_twice", "FIX.4.4", "35=0|" VC_HDR "56=OTHER|", 13, 56, SAME, 0},

    /* ---- 14 out of order */
    {"header_after_body", "FIX.4.4", VC_NOS "50=DESK|", 14, 50, SAME, 0},
    {"body_after_trailer", "FIX.4.4", VC_NOS "93=2|89=ab|58=late|", 14, 58, SAME, 0},

    /* ---- 15 repeating group fields out of order */
    {"entry_without_delim", "FIX.4.4", VC_NOS "453=1|447=D|448=P1|452=1|", 15, 447, 16,
     "QuickFIX starts an entry at any member and then counts entries"},
    {"member_twice_in_entry", "FIX.4.4", VC_NOS "453=1|448=P1|447=D|447=D|452=1|", 15, 447, 16,
     "QuickFIX starts a new entry at the repeat, so the count is off"},
    {"entry_member_order", "FIX.4.4", VC_NOS "453=1|448=P1|452=1|447=D|", 15, 447, -1,
     "QuickFIX does not check member order inside an entry"},
    {"member_outside_group", "FIX.4.4", VC_NOS "448=P1|", 15, 448, 2,
     "QuickFIX reports a group member outside its group as not defined for "
     "the message; FIX calls it a group field out of order"},

    /* ---- 16 NumInGroup */
    {"count_2_one_entry", "FIX.4.4", VC_NOS "453=2|448=P1|447=D|452=1|", 16, 453, SAME, 0},
    {"count_1_two_entries", "FIX.4.4",
     VC_NOS "453=1|448=P1|447=D|452=1|448=P2|447=D|452=3|", 16, 453, SAME, 0},
    {"count_3_md_two", "FIX.4.4",
     "35=W|" VC_HDR "55=IBM|268=3|269=0|270=10.1|269=1|270=10.2|", 16, 268, SAME, 0},
    {"count_0_with_entry", "FIX.4.4", VC_NOS "453=0|448=P1|447=D|452=1|", 16, 453, SAME, 0},
    {"nested_count", "FIX.4.4",
     VC_CROSS_HEAD "552=2|54=1|11=C1|453=2|448=P1|447=D|452=1|54=2|11=C2|" VC_CROSS_TAIL,
     16, 453, -1,
     "QuickFIX compares NumInGroup with the entries for top-level groups "
     "only, not for groups nested in entries"},
    {"count_not_int", "FIX.4.4", VC_NOS "453=x|", 6, 453, SAME, 0},
};

#define N_VCASES (sizeof vcases / sizeof vcases[0])

#endif
