//! FIX 4.4 tag numbers RTES reads or writes, named as in the specification.

#![allow(missing_docs)] // each constant is the spec's own field name

// Standard header and trailer.
pub const BEGIN_STRING: u32 = 8;
pub const BODY_LENGTH: u32 = 9;
pub const CHECK_SUM: u32 = 10;
pub const MSG_SEQ_NUM: u32 = 34;
pub const MSG_TYPE: u32 = 35;
pub const POSS_DUP_FLAG: u32 = 43;
pub const SENDER_COMP_ID: u32 = 49;
pub const SENDER_SUB_ID: u32 = 50;
pub const SENDING_TIME: u32 = 52;
pub const TARGET_COMP_ID: u32 = 56;
pub const TARGET_SUB_ID: u32 = 57;
pub const POSS_RESEND: u32 = 97;
pub const ON_BEHALF_OF_COMP_ID: u32 = 115;
pub const DELIVER_TO_COMP_ID: u32 = 128;
pub const ORIG_SENDING_TIME: u32 = 122;
pub const SENDER_LOCATION_ID: u32 = 142;
pub const TARGET_LOCATION_ID: u32 = 143;
pub const LAST_MSG_SEQ_NUM_PROCESSED: u32 = 369;

// Session messages.
pub const BEGIN_SEQ_NO: u32 = 7;
pub const END_SEQ_NO: u32 = 16;
pub const NEW_SEQ_NO: u32 = 36;
pub const REF_SEQ_NUM: u32 = 45;
pub const TEXT: u32 = 58;
pub const ENCRYPT_METHOD: u32 = 98;
pub const HEART_BT_INT: u32 = 108;
pub const TEST_REQ_ID: u32 = 112;
pub const GAP_FILL_FLAG: u32 = 123;
pub const RESET_SEQ_NUM_FLAG: u32 = 141;
pub const REF_TAG_ID: u32 = 371;
pub const REF_MSG_TYPE: u32 = 372;
pub const SESSION_REJECT_REASON: u32 = 373;
pub const BUSINESS_REJECT_REF_ID: u32 = 379;
pub const BUSINESS_REJECT_REASON: u32 = 380;
pub const NEXT_EXPECTED_MSG_SEQ_NUM: u32 = 789;
pub const USERNAME: u32 = 553;
pub const PASSWORD: u32 = 554;

// Orders and executions.
pub const ACCOUNT: u32 = 1;
pub const AVG_PX: u32 = 6;
pub const CL_ORD_ID: u32 = 11;
pub const CUM_QTY: u32 = 14;
pub const CURRENCY: u32 = 15;
pub const EXEC_ID: u32 = 17;
pub const EXEC_INST: u32 = 18;
pub const HANDL_INST: u32 = 21;
pub const SECURITY_ID_SOURCE: u32 = 22;
pub const LAST_PX: u32 = 31;
pub const LAST_QTY: u32 = 32;
pub const ORDER_ID: u32 = 37;
pub const ORDER_QTY: u32 = 38;
pub const ORD_STATUS: u32 = 39;
pub const ORD_TYPE: u32 = 40;
pub const ORIG_CL_ORD_ID: u32 = 41;
pub const PRICE: u32 = 44;
pub const SECURITY_ID: u32 = 48;
pub const SIDE: u32 = 54;
pub const SYMBOL: u32 = 55;
pub const TIME_IN_FORCE: u32 = 59;
pub const TRANSACT_TIME: u32 = 60;
pub const SETTL_TYPE: u32 = 63;
pub const TRADE_DATE: u32 = 75;
pub const ORD_REJ_REASON: u32 = 103;
pub const MIN_QTY: u32 = 110;
pub const MAX_FLOOR: u32 = 111;
pub const EXPIRE_TIME: u32 = 126;
pub const EXEC_TYPE: u32 = 150;
pub const LEAVES_QTY: u32 = 151;
pub const CXL_REJ_REASON: u32 = 102;
pub const CXL_REJ_RESPONSE_TO: u32 = 434;
pub const MASS_CANCEL_REQUEST_TYPE: u32 = 530;
pub const MASS_CANCEL_RESPONSE: u32 = 531;
pub const MASS_CANCEL_REJECT_REASON: u32 = 532;
pub const TOTAL_AFFECTED_ORDERS: u32 = 533;
pub const NO_PARTY_IDS: u32 = 453;
pub const PARTY_ID: u32 = 448;
pub const PARTY_ID_SOURCE: u32 = 447;
pub const PARTY_ROLE: u32 = 452;
pub const ORD_STATUS_REQ_ID: u32 = 790;
pub const SECONDARY_ORDER_ID: u32 = 198;
pub const TRD_MATCH_ID: u32 = 880;
pub const SECONDARY_EXEC_ID: u32 = 527;
pub const LAST_LIQUIDITY_IND: u32 = 851;
pub const DISPLAY_QTY: u32 = 1138;

// Market data, security list, trading session status, quotes.
pub const MD_REQ_ID: u32 = 262;
pub const SUBSCRIPTION_REQUEST_TYPE: u32 = 263;
pub const MARKET_DEPTH: u32 = 264;
pub const MD_UPDATE_TYPE: u32 = 265;
pub const NO_MD_ENTRY_TYPES: u32 = 267;
pub const NO_MD_ENTRIES: u32 = 268;
pub const MD_ENTRY_TYPE: u32 = 269;
pub const MD_ENTRY_PX: u32 = 270;
pub const MD_ENTRY_SIZE: u32 = 271;
pub const MD_UPDATE_ACTION: u32 = 279;
pub const MD_REQ_REJ_REASON: u32 = 281;
pub const NUMBER_OF_ORDERS: u32 = 346;
pub const MD_ENTRY_POSITION_NO: u32 = 290;
pub const NO_RELATED_SYM: u32 = 146;
pub const SECURITY_REQ_ID: u32 = 320;
pub const SECURITY_RESPONSE_ID: u32 = 322;
pub const SECURITY_LIST_REQUEST_TYPE: u32 = 559;
pub const SECURITY_REQUEST_RESULT: u32 = 560;
pub const TOT_NO_RELATED_SYM: u32 = 393;
pub const MIN_PRICE_INCREMENT: u32 = 969;
pub const ROUND_LOT: u32 = 561;
pub const MIN_TRADE_VOL: u32 = 562;
pub const TRADING_SESSION_ID: u32 = 336;
pub const TRAD_SES_STATUS: u32 = 340;
pub const TRAD_SES_REQ_ID: u32 = 335;
pub const SECURITY_TRADING_STATUS: u32 = 326;
pub const QUOTE_REQ_ID: u32 = 131;
pub const QUOTE_ID: u32 = 117;
pub const BID_PX: u32 = 132;
pub const OFFER_PX: u32 = 133;
pub const BID_SIZE: u32 = 134;
pub const OFFER_SIZE: u32 = 135;
pub const VALID_UNTIL_TIME: u32 = 62;
pub const QUOTE_REQUEST_REJECT_REASON: u32 = 658;

// Market data extras: request options, entry sequencing, security list
// fragments and trading rules, trading session status, indicative quotes.
// 969 and 1140-1150 are FIX 5.0 fields RTES sends as FIX 4.4 extensions
// (see docs/fix-market-data.md).
pub const RPT_SEQ: u32 = 83;
pub const AGGREGATED_BOOK: u32 = 266;
pub const UNSOLICITED_INDICATOR: u32 = 325;
pub const TRAD_SES_STATUS_REJ_REASON: u32 = 567;
pub const QUOTE_TYPE: u32 = 537;
pub const LAST_FRAGMENT: u32 = 893;
pub const MAX_TRADE_VOL: u32 = 1140;
pub const LOW_LIMIT_PRICE: u32 = 1148;
pub const HIGH_LIMIT_PRICE: u32 = 1149;
pub const TRADING_REFERENCE_PRICE: u32 = 1150;
