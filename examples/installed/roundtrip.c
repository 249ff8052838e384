/* Encode a NewOrderSingle with the installed library, parse it back and
 * check every field survived. Exit 0 only if the round trip is exact. */
#include <stdio.h>
#include <string.h>

#include <fixgw.h>

#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) {                                               \
      fprintf(stderr, "roundtrip: check failed: %s\n", #cond);   \
      return 1;                                                  \
    }                                                            \
  } while (0)

int main(void) {
  char buf[512];
  fixgw_encoder_t e;
  const fixgw_decimal_t px = {12345, -2}, qty = {300, 0};
  CHECK(fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", "D") == 0);
  fixgw_enc_cstr(&e, 49, "CLIENT01");
  fixgw_enc_cstr(&e, 56, "BROKER01");
  fixgw_enc_uint(&e, 34, 7);
  fixgw_enc_timestamp(&e, 52, 1710509400123000000LL, FIXGW_TS_MILLIS);
  fixgw_enc_cstr(&e, 11, "ORD-1");
  fixgw_enc_cstr(&e, 55, "AAPL");
  fixgw_enc_char(&e, 54, '1');
  fixgw_enc_decimal(&e, 38, qty);
  fixgw_enc_char(&e, 40, '2');
  fixgw_enc_decimal(&e, 44, px);
  const char *msg;
  size_t len;
  int rc = fixgw_enc_finish(&e, &msg, &len);
  if (rc) {
    fprintf(stderr, "roundtrip: encode: %s\n", fixgw_strerror(rc));
    return 1;
  }

  fixgw_parser_t p;
  CHECK(fixgw_parser_init(&p, NULL) == 0);
  fixgw_msg_t m;
  fixgw_parse_error_t err;
  size_t used;
  rc = fixgw_parse(&p, msg, len, &used, &m, &err);
  if (rc) {
    fprintf(stderr, "roundtrip: parse: %s at %zu tag %u\n", fixgw_strerror(rc), err.offset,
            err.tag);
    fixgw_parser_destroy(&p);
    return 1;
  }
  CHECK(used == len);
  CHECK(m.version == FIXGW_V_FIX44);
  CHECK(m.msgtype.len == 1 && m.msgtype.ptr[0] == 'D');
  fixgw_str_t s;
  int64_t seq, ts;
  fixgw_decimal_t d;
  char c;
  CHECK(fixgw_msg_get_str(&m, 11, &s) == 0 && s.len == 5 && memcmp(s.ptr, "ORD-1", 5) == 0);
  CHECK(fixgw_msg_get_str(&m, 55, &s) == 0 && s.len == 4 && memcmp(s.ptr, "AAPL", 4) == 0);
  CHECK(fixgw_msg_get_int(&m, 34, &seq) == 0 && seq == 7);
  CHECK(fixgw_msg_get_timestamp(&m, 52, &ts) == 0 && ts == 1710509400123000000LL);
  CHECK(fixgw_msg_get_char(&m, 54, &c) == 0 && c == '1');
  CHECK(fixgw_msg_get_decimal(&m, 38, &d) == 0 && fixgw_decimal_cmp(d, qty) == 0);
  CHECK(fixgw_msg_get_decimal(&m, 44, &d) == 0 && d.mant == px.mant && d.exp == px.exp);
  CHECK(fixgw_checksum(msg, len - 7) == (unsigned)((msg[len - 4] - '0') * 100 +
                                                  (msg[len - 3] - '0') * 10 + (msg[len - 2] - '0')));
  fixgw_parser_destroy(&p);

  /* The dictionary layer too: a compiled table, and the XML loader, whose
   * expat dependency the package must carry to the consumer's link. */
  const fixgw_dict_t *d44 = fixgw_dict_fix44();
  CHECK(d44 != NULL);
  static const char xml[] =
      "<fix type='FIX' major='4' minor='4' servicepack='0'><header/><trailer/>"
      "<messages><message name='Heartbeat' msgtype='0' msgcat='admin'>"
      "<field name='TestReqID' required='N'/></message></messages>"
      "<components/><fields><field number='112' name='TestReqID' type='STRING'/>"
      "</fields></fix>";
  fixgw_dict_t *loaded = NULL;
  fixgw_dict_error_t derr;
  rc = fixgw_dict_load_mem(xml, sizeof xml - 1, "inline", NULL, &loaded, &derr);
  if (rc) {
    fprintf(stderr, "roundtrip: dict load: %s line %u\n", fixgw_strerror(rc), derr.line);
    return 1;
  }
  fixgw_dict_free(loaded);
  printf("roundtrip: ok, %zu-byte NewOrderSingle encoded and parsed back (libfixgw %d.%d.%d)\n",
         len, FIXGW_VERSION_MAJOR, FIXGW_VERSION_MINOR, FIXGW_VERSION_PATCH);
  return 0;
}
