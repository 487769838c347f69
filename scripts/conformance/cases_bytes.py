"""byte_test, byte_jump and byte_extract, with every option, on UDP
datagrams to port 9999 (one inspection per datagram)."""

from casebook import case, sig

PK = "rules/payload-keywords.html"


def udp(opts, sid, msg=None):
    return sig("udp", opts, sid, msg or f"case {sid}")


def table(c, rows, what):
    for i, (opts, n, why) in enumerate(rows, 1):
        c.rule(udp(opts, i), n, f"{opts} {what}: {why}")


@case("byte-test-operators")
def byte_test_operators(c):
    c.about = f"""byte_test operators ({PK}#byte-test): <, >, =, <=, >=, & (bitwise
    AND: matches when the result is not 0) and ^, on 1 to 4 bytes read big
    endian (the default), values in decimal or hex. The documentation calls
    ^ "bitwise OR"; Suricata 8.0.6 computes an exclusive or (value ^ data is
    not 0), which is what sid 11 shows: established by comparison. Payload
    00 01 00 02 7F FF: the first two bytes are 1."""
    c.cap.udp(bytes.fromhex("000100027fff"))
    table(c, [
        ("byte_test:2,=,1,0;", 1, "1 = 1"), ("byte_test:2,<,2,0;", 1, "1 < 2"), ("byte_test:2,<,1,0;", 0, "1 < 1"),
        ("byte_test:2,>,0,0;", 1, "1 > 0"), ("byte_test:2,>,1,0;", 0, "1 > 1"), ("byte_test:2,<=,1,0;", 1, "1 <= 1"),
        ("byte_test:2,>=,2,0;", 0, "1 >= 2"), ("byte_test:2,>=,1,0;", 1, "1 >= 1"),
        ("byte_test:2,&,1,0;", 1, "1 & 1 = 1"), ("byte_test:2,&,2,0;", 0, "1 & 2 = 0"),
        ("byte_test:2,^,1,0;", 0, "(comparison) 1 ^ 1 = 0: an exclusive or"), ("byte_test:2,^,3,0;", 1, "1 ^ 3 = 2"),
        ("byte_test:4,=,0x00010002,0;", 1, "4 bytes, hex value"), ("byte_test:1,=,0x7f,4;", 1, "byte 4"),
        ("byte_test:2,=,32767,4;", 1, "7F FF"), ("byte_test:3,=,163839,3;", 1, "02 7F FF, 3 bytes"),
        ("byte_test:2,=,1,0,big;", 1, "big endian named"),
    ], "on 00 01 00 02 7F FF")


@case("byte-test-negation")
def byte_test_negation(c):
    c.about = f"""byte_test negation ({PK}#byte-test): "[!] Negation can prefix other
    operators"; != is the documented inequality. The two bytes at 0 are 1.
    Whether a negated test matches when the bytes cannot be read (sid 10,
    offset past the payload) is not documented: Suricata 8.0.6 does not
    match (established by comparison): the negation applies to the
    comparison, not to a failed read."""
    c.cap.udp(bytes.fromhex("000100027fff"))
    table(c, [
        ("byte_test:2,!=,1,0;", 0, "1 is 1"), ("byte_test:2,!=,2,0;", 1, "1 is not 2"),
        ("byte_test:2,!<,1,0;", 1, "not (1 < 1)"), ("byte_test:2,!>,0,0;", 0, "not (1 > 0)"),
        ("byte_test:2,!&,2,0;", 1, "not (1 & 2)"), ("byte_test:2,!&,1,0;", 0, "not (1 & 1)"),
        ("byte_test:2,!^,1,0;", 1, "(comparison) not (1 ^ 1)"), ("byte_test:2,!<=,0,0;", 1, "not (1 <= 0)"),
        ("byte_test:2,!>=,1,0;", 0, "not (1 >= 1)"), ("byte_test:2,!=,1,10;", 0, "(comparison) nothing to read"),
        ("byte_test:2, !=, 2, 0;", 1, "spaces around the arguments"),
    ], "on 00 01 00 02 7F FF")


@case("byte-test-endian")
def byte_test_endian(c):
    c.about = f"""byte_test endianness ({PK}#byte-test): big (most significant byte
    at the lowest address, the default) or little. Payload 01 02 03 04."""
    c.cap.udp(bytes.fromhex("01020304"))
    table(c, [
        ("byte_test:2,=,0x0201,0,little;", 1, "02 01"), ("byte_test:2,=,0x0102,0,little;", 0, "read as 0x0201"),
        ("byte_test:2,=,0x0102,0,big;", 1, "01 02"), ("byte_test:4,=,0x04030201,0,little;", 1, "4 bytes"),
        ("byte_test:3,=,0x040302,1,little;", 1, "3 bytes at 1"), ("byte_test:1,=,3,2,little;", 1, "one byte"),
        ("byte_test:2,=,0x0102,0;", 1, "big by default"),
    ], "on 01 02 03 04")


@case("byte-test-string")
def byte_test_string(c):
    c.about = f"""byte_test string ({PK}#byte-test): "string, <num type>" converts
    the bytes as text in hex, dec or oct. Payload "1337 ff 017 0x1f 99x".
    Not documented, and established by comparison with Suricata 8.0.6: a
    "0x" prefix in a hex string (sid 6), text that is not a number in the
    base (sid 10: no match) or that ends in another character (sid 8:
    the digits before it are converted), and "string" with no base (sid 9)."""
    c.cap.udp(b"1337 ff 017 0x1f 99x")
    table(c, [
        ("byte_test:4,=,1337,0,string,dec;", 1, "1337"), ("byte_test:4,>,1336,0,string,dec;", 1, "1337 > 1336"),
        ("byte_test:2,=,255,5,string,hex;", 1, "ff"), ("byte_test:3,=,15,8,string,oct;", 1, "017 octal"),
        ("byte_test:3,=,17,8,string,dec;", 1, "017 decimal"), ("byte_test:4,=,31,12,string,hex;", 1,
                                                                 "(comparison) 0x1f"),
        ("byte_test:4,=,4919,0,string,hex;", 1, "1337 hex"), ("byte_test:3,=,99,17,string,dec;", 1,
                                                              "(comparison) 99x: conversion stops at x"),
        ("byte_test:4,=,1337,0,string;", 1, "(comparison) decimal by default"),
        ("byte_test:2,=,0,5,string,dec;", 0, "(comparison) ff is not decimal"),
    ], "on \"1337 ff 017 0x1f 99x\"")


@case("byte-test-relative")
def byte_test_relative(c):
    c.about = f"""byte_test relative ({PK}#byte-test): "offset relative to last
    content match". A negative offset relative to a match (sids 3, 4: it counts back from
    the end of the match) and a
    relative test with no previous match (sid 6, read from the start of the
    payload) are not documented: established by comparison with Suricata
    8.0.6. Payload "LEN:" 00 05 "hello"."""
    c.cap.udp(b"LEN:\x00\x05hello")
    table(c, [
        ('content:"LEN:"; byte_test:2,=,5,0,relative;', 1, "00 05 follows"),
        ('content:"LEN:"; byte_test:1,=,104,2,relative;', 1, "h"),
        ('content:"hello"; byte_test:1,=,5,-6,relative;', 1, "(comparison) 6 back from the end of hello: 05"),
        ('content:"hello"; byte_test:1,=,111,-1,relative;', 1, "(comparison) 1 back from the end of hello: o"),
        ('content:"hello"; byte_test:1,>,0,0,relative;', 0, "nothing follows hello"),
        ("byte_test:1,=,76,0,relative;", 1, "(comparison) L, from the start"),
        ('content:"LEN:"; byte_test:2,=,5,0;', 0, "absolute: LE"),
        ('content:"LEN:"; byte_test:2,=,0x6c6f,5,relative;', 1, "the last two bytes"),
        ('content:"LEN:"; byte_test:2,>,0,6,relative;', 0, "one byte past the end"),
        ('content:"LEN:"; byte_test:2,=,5,0,relative; content:"hello"; distance:2; within:5;', 1,
         "byte_test does not move the pointer: hello is 2 bytes after LEN:"),
        ('content:"LEN:"; byte_jump:2,0,relative; content:"hello"; distance:0; within:5;', 0,
         "byte_jump moves it: 4 + 2 + 5 = 11, past hello"),
    ], "on LEN: 00 05 hello")


@case("byte-test-bitmask")
def byte_test_bitmask(c):
    c.about = f"""byte_test bitmask ({PK}#byte-test): the mask is applied to the
    extracted bytes before the operator, "and the final result will be
    right shifted one bit for each trailing 0 in the bitmask value".
    Payload AB CD."""
    c.cap.udp(bytes.fromhex("abcd"))
    table(c, [
        ("byte_test:2,=,0x0B,0,bitmask 0x0F00;", 1, "0x0B00 shifted by 8"),
        ("byte_test:2,=,0x0B00,0,bitmask 0x0F00;", 0, "the shift is applied"),
        ("byte_test:1,=,10,0,bitmask 0xF0;", 1, "0xA0 shifted by 4"),
        ("byte_test:2,&,1,0,bitmask 0x00F0;", 0, "0xC & 1 = 0"),
        ("byte_test:2,=,0xABCD,0,bitmask 0xFFFF;", 1, "all bits"),
        ("byte_test:2,=,3,0,bitmask 0x0180;", 1, "0x0180 shifted by 7"),
        ("byte_test:2,!=,0,0,bitmask 0x0030;", 0, "masked bits are 0"),
    ], "on AB CD")


@case("byte-test-bounds")
def byte_test_bounds(c):
    c.about = f"""byte_test at the edges of the buffer ({PK}#byte-test): the bytes
    read must all be in the payload; a read that runs past the end does not
    match, whatever the operator (the negated case, sid 4, established by
    comparison with Suricata 8.0.6). Payload "ABC"."""
    c.cap.udp(b"ABC")
    table(c, [
        ("byte_test:2,=,0x4243,1;", 1, "the last two bytes"), ("byte_test:2,>,0,2;", 0, "one byte short"),
        ("byte_test:4,>,0,0;", 0, "longer than the payload"), ("byte_test:1,!=,0,3;", 0,
                                                               "(comparison) past the end"),
        ("byte_test:1,=,0x43,2;", 1, "the last byte"), ("byte_test:1,>,0,65535;", 0, "far past the end"),
    ], "on ABC")


@case("byte-test-64bit")
def byte_test_64bit(c):
    c.about = f"""byte_test with 8 bytes and large values ({PK}#byte-test): up to 8
    bytes are read as an unsigned 64-bit value; as a string, up to 20
    digits. A test value that does not fit in 64 bits, and more than 8
    bytes without string, make the rule invalid (no alert); a decimal string
    past 2^64-1 cannot be converted and does not match (the last three
    established by comparison with Suricata 8.0.6). Datagrams: FF x 8, then
    "1234567890", then "99999999999999999999"."""
    c.cap.udp(b"\xff" * 8)
    c.cap.udp(b"1234567890")
    c.cap.udp(b"99999999999999999999")
    table(c, [
        ("byte_test:8,=,18446744073709551615,0;", 1, "2^64-1"),
        ("byte_test:8,>,18446744073709551614,0;", 1, "greater"),
        ("byte_test:8,=,0xffffffffffffffff,0;", 1, "hex"),
        ("byte_test:8,=,18446744073709551616,0;", 0, "(comparison) 2^64 does not fit: invalid rule"),
        ("byte_test:9,=,0,0;", 0, "(comparison) 9 bytes: invalid rule"),
        ("byte_test:4,=,4294967295,4;", 1, "the last 4 bytes of FF x 8"),
        ("byte_test:10,=,1234567890,0,string,dec;", 1, "10 digits"),
        ("byte_test:20,>,0,0,string,dec;", 0, "(comparison) 20 nines overflow 64 bits"),
    ], "")


@case("byte-test-variable")
def byte_test_variable(c):
    c.about = f"""byte_test against a byte_extract variable ({PK}#byte-extract: a
    variable "can be used ... in the case of byte_test ... as a value").
    Datagrams 05 05 and 05 06."""
    c.cap.udp(bytes.fromhex("0505"))
    c.cap.udp(bytes.fromhex("0506"))
    table(c, [
        ("byte_extract:1,0,v; byte_test:1,=,v,1;", 1, "only 05 05"),
        ("byte_extract:1,0,v; byte_test:1,>,v,1;", 1, "only 05 06"),
        ("byte_extract:1,0,v; byte_test:1,!=,v,1;", 1, "only 05 06"),
        ("byte_extract:1,0,v; byte_test:1,<=,v,1;", 1, "only 05 05"),
    ], "")


@case("byte-dce")
def byte_dce(c):
    c.about = f"""The dce option of byte_test, byte_jump and byte_extract ({PK}: "allow
    the DCE module to determine the byte order") makes the rule a DCERPC rule
    in Suricata, so on other traffic it never matches. mirrorids has no
    DCERPC parser: it does not load these rules (reported as needing the
    dcerpc parser), so DCERPC traffic is not covered by this suite. The plain
    rule (sid 4) shows the data would match otherwise."""
    t = c.cap.tcp(sport=40001, dport=7000)
    t.send(b"\x07\x00\x00\x03hello")
    t.close()
    c.rule(sig("tcp", 'content:"|07 00|"; byte_test:1,=,3,1,relative,dce;', 1, "byte_test dce"), 0,
           "a DCERPC rule on a TCP connection that is not DCERPC")
    c.rule(sig("tcp", 'content:"|07 00|"; byte_jump:1,1,relative,dce;', 2, "byte_jump dce"), 0, "same")
    c.rule(sig("tcp", 'content:"|07 00|"; byte_extract:1,1,v,relative,dce; byte_test:1,=,v,1,relative;', 3,
               "byte_extract dce"), 0, "same")
    c.rule(sig("tcp", 'content:"|07 00|"; byte_test:1,=,3,1,relative;', 4, "without dce"), 1,
           "the byte after 07 00 00 is 03")


@case("byte-jump-basic")
def byte_jump_basic(c):
    c.about = f"""byte_jump ({PK}#byte-jump): reads <num of bytes> at <offset> and
    moves the detection pointer by that value, counted from the end of the
    bytes read; following relative keywords start there. Several jumps can
    follow each other with relative (the documented "Multiple Jumps"
    example). Datagrams 00 03 "abcXYZ" and 01 "x" 02 "yy" "foobar"."""
    c.cap.udp(b"\x00\x03abcXYZ")
    c.cap.udp(b"\x01x\x02yyfoobar")
    table(c, [
        ('byte_jump:2,0; content:"XYZ"; distance:0; within:3;', 1, "2 + 3 = 5, XYZ"),
        ('byte_jump:2,0; content:"abc"; distance:0;', 0, "abc is before the pointer"),
        ('byte_jump:1,0; content:"|03|abc"; distance:0; within:4;', 1, "a jump of 0 lands after the byte read"),
        ('byte_jump:1,0; byte_jump:1,0,relative; content:"foobar"; distance:0; within:6;', 1,
         "1 + 1 = 2, then 3 + 2 = 5: foobar"),
        ('content:"|00 03|"; byte_jump:1,-1,relative; content:"XYZ"; distance:0; within:3;', 1,
         "(comparison) a negative relative offset reads 03 again"),
    ], "")


@case("byte-jump-options")
def byte_jump_options(c):
    c.about = f"""byte_jump options ({PK}#byte-jump): multiplier multiplies the value;
    align "rounds the number up to the next 32bit boundary" (the value read,
    before the jump); from_beginning jumps from the start of the payload;
    from_end from its end (the documented example byte_jump:0,0, from_end,
    post_offset -8); post_offset moves the pointer again after the jump,
    forward or back. Each datagram is built for one option."""
    c.cap.udp(b"\x02xxxxEND")  # multiplier
    c.cap.udp(b"\x01xxxxALN")  # align
    c.cap.udp(b"ab\x04QTARG")  # from_beginning
    c.cap.udp(b"HEAD....TAIL")  # from_end
    c.cap.udp(b"\x02abcdZZ")  # post_offset
    table(c, [
        ('byte_jump:1,0,multiplier 2; content:"END"; distance:0; within:3;', 1, "1 + 2 x 2 = 5"),
        ('byte_jump:1,0,multiplier 3; content:"END"; distance:0; within:3;', 0, "1 + 2 x 3 = 7"),
        ('byte_jump:1,0,align; content:"ALN"; distance:0; within:3;', 1, "1 rounds to 4: 1 + 4 = 5"),
        ('byte_jump:1,0; content:"ALN"; distance:0; within:3;', 0, "without align: 2"),
        ('byte_jump:1,2,from_beginning; content:"TARG"; distance:0; within:4;', 1, "4 from the start"),
        ('byte_jump:1,2; content:"TARG"; distance:0; within:4;', 0, "3 + 4 = 7"),
        ('byte_jump:0,0,from_end,post_offset -4; content:"TAIL"; distance:0; within:4;', 1,
         "the documented from_end form"),
        ('byte_jump:0,0,from_end,post_offset -5; content:"TAIL"; distance:0; within:4;', 0, "one byte early"),
        ('byte_jump:1,0,post_offset 2; content:"ZZ"; distance:0; within:2;', 1, "1 + 2 + 2 = 5"),
        ('byte_jump:1,0,post_offset -2; content:"ab"; distance:0; within:2;', 1, "3 - 2 = 1"),
    ], "")


@case("byte-jump-string")
def byte_jump_string(c):
    c.about = f"""byte_jump string ({PK}#byte-jump): "string, <num_type>", the value
    read is text in dec, hex or oct. Datagrams "0005abcdeEND" (dec 5),
    "0a" + 10 bytes + "END" (hex 10), "012" + 10 bytes + "END" (oct 10);
    each rule fits only its datagram."""
    c.cap.udp(b"0005abcdeEND")
    c.cap.udp(b"0aabcdefghijEND")
    c.cap.udp(b"012abcdefghijEND")
    table(c, [
        ('byte_jump:4,0,string,dec; content:"END"; distance:0; within:3;', 1, "4 + 5 = 9"),
        ('byte_jump:2,0,string,hex; content:"END"; distance:0; within:3;', 1, "2 + 10 = 12"),
        ('byte_jump:3,0,string,oct; content:"END"; distance:0; within:3;', 1, "3 + 10 = 13"),
    ], "")


@case("byte-jump-bounds")
def byte_jump_bounds(c):
    c.about = f"""byte_jump at the edges of the buffer: a jump past the end of the
    payload, or a read past it, does not match; where a jump that lands
    exactly on the end of the payload (it matches), or a negative post_offset
    that lands before its start (the pointer stops at the start: it
    matches), stands is not documented: established by comparison
    with Suricata 8.0.6. Datagrams 05 "abcd" (the jump passes the end) and
    04 "abcd" (it lands on the end)."""
    c.cap.udp(b"\x05abcd")
    c.cap.udp(b"\x04abcd")
    table(c, [
        ("byte_jump:1,0;", 1, "(comparison) the second datagram: a jump to the end"),
        ("byte_jump:1,0; isdataat:!1,relative;", 1, "(comparison) nothing after the pointer"),
        ("byte_jump:2,4;", 0, "the read runs past the end"),
        ("byte_jump:1,0,post_offset -10;", 2, "(comparison) the pointer stops at the start of the buffer"),
        ('byte_jump:1,0,post_offset -1; content:"d"; distance:0; within:1;', 1,
         "(comparison) the second datagram: back one byte from the end"),
    ], "")


@case("byte-jump-bitmask-endian")
def byte_jump_bitmask_endian(c):
    c.about = f"""byte_jump bitmask and endianness ({PK}#byte-jump): the bitmask is
    applied to the value before the multiplier, and the result is shifted
    right by the mask's trailing zeros; little reads the least significant
    byte first. Datagrams FF 02 "abOK", 02 00 "abOK", 20 "abOK"."""
    c.cap.udp(b"\xff\x02abOK")
    c.cap.udp(b"\x02\x00abOK")
    c.cap.udp(b"\x20abOK")
    table(c, [
        ('byte_jump:2,0,bitmask 0x00FF; content:"OK"; distance:0; within:2;', 1, "0xFF02 & 0xFF = 2"),
        ('byte_jump:2,0,little; content:"OK"; distance:0; within:2;', 1, "02 00 little is 2"),
        ('byte_jump:1,0,bitmask 0xF0; content:"OK"; distance:0; within:2;', 1, "0x20 & 0xF0 >> 4 = 2"),
    ], "")


@case("byte-jump-relative")
def byte_jump_relative(c):
    c.about = f"""byte_jump relative ({PK}#byte-jump): the offset counts from the end
    of the previous match. Payload "HDR" 03 "xyz" "BODY"."""
    c.cap.udp(b"HDR\x03xyzBODY")
    table(c, [
        ('content:"HDR"; byte_jump:1,0,relative; content:"BODY"; distance:0; within:4;', 1, "4 + 3 = 7"),
        ('content:"HDR"; byte_jump:1,1,relative; content:"BODY"; distance:0;', 0, "x (120) jumps out"),
        ('content:"HDR"; byte_jump:1,0; content:"BODY"; distance:0; within:4;', 0,
         "absolute: H (72) jumps out"),
    ], "")


@case("byte-extract-modifiers")
def byte_extract_modifiers(c):
    c.about = f"""byte_extract variables as content and isdataat arguments
    ({PK}#byte-extract: content offset, depth, distance, within; isdataat
    offset), with multiplier (applied before storing) and align 2 or 4
    ("round the extracted value up to the next <align-value> byte boundary
    post-multiplication"). Payload 03 00 "ABCDE": the variable is 3."""
    c.cap.udp(b"\x03\x00ABCDE")
    table(c, [
        ('byte_extract:1,0,off; content:"CD"; offset:off;', 1, "CD starts at 4 >= 3"),
        ('byte_extract:1,0,off; content:"AB"; offset:off;', 0, "AB starts at 2"),
        ('byte_extract:1,0,d; content:"A"; depth:d;', 1, "A is byte 2, inside the first 3"),
        ('byte_extract:1,0,d; content:"B"; depth:d;', 0, "B is byte 3"),
        ('byte_extract:1,0,dist; content:"|00|"; content:"D"; distance:dist;', 1, "00 ends at 2, D is at 5"),
        ('byte_extract:1,0,w; content:"|00|"; content:"D"; within:w;', 0, "D ends at 6, past 2 + 3"),
        ('byte_extract:1,0,w; content:"|00|"; content:"C"; within:w;', 1, "C ends at 5"),
        ("byte_extract:1,0,n; isdataat:n;", 1, "byte 3 exists"),
        ("byte_extract:1,0,n,multiplier 3; isdataat:n;", 0, "byte 9 does not"),
        ("byte_extract:1,0,n,multiplier 2; isdataat:n;", 1, "byte 6 exists"),
        ('byte_extract:1,0,n,align 4; content:"B"; offset:n;', 0, "3 aligns to 4, B is at 3"),
        ('byte_extract:1,0,n; content:"B"; offset:n;', 1, "without align"),
        ('byte_extract:1,0,n,align 2; content:"B"; offset:n;', 0, "3 aligns to 4 with align 2 too"),
    ], "on 03 00 ABCDE")


@case("byte-extract-string")
def byte_extract_string(c):
    c.about = f"""byte_extract string ({PK}#byte-extract): text in dec, hex or oct,
    used as a distance; with relative, the offset counts from the previous
    match and the pointer moves past the bytes read, so the next relative
    keyword counts from there (the documented "Using within" example
    relies on it). Datagrams "12:" / "0c:" / "14:" + 12 bytes + "XY", and
    "LEN=005abcdeEND"."""
    for head in (b"12:", b"0c:", b"14:"):
        c.cap.udp(head + b"abcdefghijkl" + b"XY")
    c.cap.udp(b"LEN=005abcdeEND")
    table(c, [
        ('byte_extract:2,0,len,string,dec; content:":"; content:"XY"; distance:len; within:2;', 1, "12"),
        ('byte_extract:2,0,len,string,hex; content:":"; content:"XY"; distance:len; within:2;', 1, "0c"),
        ('byte_extract:2,0,len,string,oct; content:":"; content:"XY"; distance:len; within:2;', 1, "14 octal"),
        ('content:"LEN="; byte_extract:3,0,len,relative,string,dec; content:"END"; distance:len; within:3;', 1,
         "005 read after LEN=, END 5 bytes after it"),
    ], "")


@case("byte-extract-bounds")
def byte_extract_bounds(c):
    c.about = f"""byte_extract that cannot read its bytes ({PK}#byte-extract): the
    rule does not match. Used as byte_jump and byte_test offsets (the
    documented table: byte_jump offset, byte_test offset and value).
    Datagrams "ab" and 03 "xx" 01 "y" "OK"."""
    c.cap.udp(b"ab")
    c.cap.udp(b"\x03xx\x01yOK")
    table(c, [
        ("byte_extract:4,0,v; isdataat:v;", 0, "4 bytes cannot be read from either"),
        ("byte_extract:1,5,v; isdataat:v;", 0, "byte 5 of ab does not exist; of the second it is O, 79"),
        ("byte_extract:1,1,v; byte_test:1,=,v,1;", 2, "a byte equals itself"),
        ('byte_extract:1,0,o; byte_jump:1,o; content:"OK"; distance:0; within:2;', 1,
         "byte 3 is 01: 4 + 1 = 5"),
        ("byte_extract:1,0,o; byte_test:1,=,1,o;", 1, "byte 3 is 01"),
    ], "")
