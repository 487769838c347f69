"""Content and its modifiers, pcre, isdataat, dsize, urilen and bsize.

Packet-payload cases use UDP datagrams to port 9999 (no parser, one
inspection per datagram), so that a count is the number of datagrams a
rule matches."""

from casebook import case, sig
from traffic import http_exchange

PK = "rules/payload-keywords.html"


def udp(opts, sid, msg):
    return sig("udp", opts, sid, msg)


@case("content-depth")
def content_depth(c):
    c.about = f"""content + depth ({PK}#depth, #offset): depth is how many bytes
    from the start of the payload are searched; with offset it counts from
    the offset ("offset:3; depth:3" checks the payload from the third byte
    till the sixth). A match must end within the depth; a depth longer than
    the payload is no error and searches all of it."""
    c.cap.udp(b"xxABCDEFGH")  # ABC at 2..5
    c.cap.udp(b"ABC")
    c.rule(udp('content:"ABC"; depth:5;', 1, "depth ends where the match ends"), 2,
           "ABC occupies bytes 2-4 of the first datagram, the first 5 bytes hold it; the second is ABC")
    c.rule(udp('content:"ABC"; depth:4;', 2, "depth one short"), 1,
           "the first 4 bytes of the first datagram hold only AB; the second datagram is ABC (3 <= 4)")
    c.rule(udp('content:"GH"; depth:200;', 3, "depth past the end"), 1,
           "a depth beyond the payload searches the whole payload: GH is the end of the first")
    c.rule(udp('content:"ABC"; offset:2; depth:3;', 4, "offset and depth"), 1,
           "offset 2, depth 3: bytes 2-4, exactly ABC in the first datagram; the second is too short")
    c.rule(udp('content:"ABC"; offset:3; depth:3;', 5, "window past the match"), 0,
           "bytes 3-5 never hold ABC")


@case("content-offset")
def content_offset(c):
    c.about = f"""content + offset ({PK}#offset): offset is the first byte that is
    searched ("offset:3 checks the fourth byte and further"). The second
    occurrence counts when the first starts before the offset; an offset
    beyond the payload never matches."""
    c.cap.udp(b"abcabcXYZ")
    c.rule(udp('content:"abc"; offset:3;', 1, "second occurrence at the offset"), 1,
           "the second abc starts at byte 3")
    c.rule(udp('content:"abc"; offset:4;', 2, "offset past both occurrences"), 0,
           "no abc starts at byte 4 or later")
    c.rule(udp('content:"XYZ"; offset:6;', 3, "match at the offset, ending the payload"), 1,
           "XYZ is bytes 6-8")
    c.rule(udp('content:"XYZ"; offset:7;', 4, "offset one past"), 0, "XYZ starts at 6")
    c.rule(udp('content:"a"; offset:100;', 5, "offset beyond the payload"), 0,
           "nothing is searched past the 9-byte payload")


@case("content-distance")
def content_distance(c):
    c.about = f"""distance ({PK}#distance): relative to the end of the previous
    match, distance says where the search for the next pattern starts; the
    pattern may be anywhere after that (within limits how far)."""
    c.cap.udp(b"AAAA-BBBB-CCCC")
    c.rule(udp('content:"AAAA"; content:"BBBB"; distance:1;', 1, "distance to the next start"), 1,
           "AAAA ends at 4, BBBB starts at 5 = 4 + 1")
    c.rule(udp('content:"AAAA"; content:"BBBB"; distance:2;', 2, "distance one too far"), 0,
           "the search starts at 6, after BBBB's start, and BBBB occurs once")
    c.rule(udp('content:"AAAA"; content:"-"; distance:0;', 3, "distance 0: right after"), 1,
           "the dash directly follows AAAA")
    c.rule(udp('content:"BBBB"; content:"AAAA"; distance:0;', 4, "pattern before the previous match"),
           0, "AAAA only occurs before BBBB")
    c.rule(udp('content:"AAAA"; content:"CCCC"; distance:0;', 5, "anywhere after"), 1,
           "without within, CCCC may be anywhere after AAAA")


@case("content-distance-negative")
def content_distance_negative(c):
    c.about = f"""Negative distance ({PK}#distance, #content): "distance can also be
    a negative number", to match content partly the same or before the
    previous match; the documented example is content:"Firefox/3.";
    content:!"Firefox/3.6.13"; distance:-10, alerting when the version is not
    3.6.13. A negative distance that reaches before the start of the buffer
    is not described: that count (sid 4) was established by comparison with
    Suricata 8.0.6, which starts the search at the beginning of the buffer."""
    c.cap.udp(b"User-Agent: Mozilla/5.0 Firefox/3.6.13\r\n")
    c.cap.udp(b"User-Agent: Mozilla/5.0 Firefox/3.5.1\r\n")
    c.cap.udp(b"AAAABBBB")
    c.rule(udp('content:"Firefox/3."; content:!"Firefox/3.6.13"; distance:-10;', 1,
               "Firefox 3 but not 3.6.13"), 1,
           "the documented example: only the 3.5.1 datagram alerts")
    c.rule(udp('content:"BBBB"; content:"AABB"; distance:-6; within:4;', 2, "window before the match"), 1,
           "BBBB ends at 8, the window is bytes 2-5, exactly AABB")
    c.rule(udp('content:"BBBB"; content:"AABB"; distance:-5; within:4;', 3, "window one byte late"), 0,
           "the window is bytes 3-6 and AABB starts at 2")
    c.rule(udp('content:"AA"; content:"AAAA"; distance:-10;', 4, "distance before the buffer start"), 1,
           "(comparison) the search starts at byte 0, where AAAA is")


@case("content-within")
def content_within(c):
    c.about = f"""within ({PK}#within): the next pattern must lie wholly inside
    `within` bytes after the previous match (after `distance`, when both are
    given)."""
    c.cap.udp(b"abcdefghij")
    c.rule(udp('content:"abc"; content:"def"; within:3;', 1, "within the length of the pattern"), 1,
           "def fills the 3 bytes after abc")
    c.rule(udp('content:"abc"; content:"efg"; within:4;', 2, "pattern ends at the window end"), 1,
           "efg is bytes 4-6, inside bytes 3-6")
    c.rule(udp('content:"abc"; content:"efg"; within:3;', 3, "window one byte short"), 0,
           "bytes 3-5 do not hold efg")
    c.rule(udp('content:"abc"; content:"ghi"; distance:3; within:3;', 4, "distance and within"), 1,
           "the window is bytes 6-8: ghi")
    c.rule(udp('content:"abc"; content:"ghi"; distance:4; within:3;', 5, "distance one too far"), 0,
           "the window is bytes 7-9")


@case("content-nocase")
def content_nocase(c):
    c.about = f"""nocase ({PK}#nocase): the content it follows matches without
    regard to case; "it has no influence on other contents in the
    signature". Hex bytes that are letters are letters too."""
    c.cap.udp(b"Hello WORLD")
    c.rule(udp('content:"hello world"; nocase;', 1, "nocase"), 1, "case differs, nocase matches")
    c.rule(udp('content:"hello world";', 2, "case-sensitive by default"), 0, "case differs")
    c.rule(udp('content:"hello"; nocase; content:"world"; distance:0;', 3, "nocase is per content"), 0,
           "the second content is case-sensitive and the payload has WORLD")
    c.rule(udp('content:"HELLO"; nocase; content:"WORLD";', 4, "both contents found"), 1,
           "HELLO nocase and WORLD exact")
    c.rule(udp('content:"|68|ELLO"; nocase;', 5, "hex letters"), 1, "|68| is h, matched against H")


@case("content-rawbytes")
def content_rawbytes(c):
    c.about = f"""rawbytes ({PK}#rawbytes): "has no effect but is included to be
    compatible with signatures that use it". The rules load and match as
    they would without it."""
    c.cap.udp(b"GET /%41 HTTP/1.0")
    c.rule(udp('content:"/%41"; rawbytes;', 1, "rawbytes"), 1, "the bytes are in the payload")
    c.rule(udp('content:"/A"; rawbytes;', 2, "no decoding"), 0, "nothing is decoded")
    c.rule(udp('content:"GET"; rawbytes; depth:3;', 3, "with other modifiers"), 1, "GET is the first 3 bytes")


@case("content-startswith")
def content_startswith(c):
    c.about = f"""startswith ({PK}#startswith): the content must match exactly at
    the start of the buffer (short for depth:<len>; offset:0). It may be
    followed by relative contents."""
    c.cap.udp(b"GET /x HTTP/1.0")
    c.cap.udp(b" GET /x HTTP/1.0")
    c.rule(udp('content:"GET"; startswith;', 1, "at the start"), 1, "only the first datagram starts with GET")
    c.rule(udp('content:"/x"; startswith;', 2, "not at the start"), 0, "/x is never first")
    c.rule(udp('content:"GET"; startswith; content:"/x"; distance:1; within:2;', 3, "then relative"), 1,
           "first datagram: /x follows GET and a space")
    c.rule(udp('content:" GET"; startswith;', 4, "leading space"), 1, "the second datagram")


@case("content-endswith")
def content_endswith(c):
    c.about = f"""endswith ({PK}#endswith): the content must match exactly at the end
    of the buffer (short for isdataat:!1,relative). When the pattern occurs
    earlier too, the occurrence at the end counts."""
    c.cap.udp(b"index.php")
    c.cap.udp(b"index.php?x=1")
    c.cap.udp(b"a.php.php")
    c.rule(udp('content:".php"; endswith;', 1, ".php at the end"), 2,
           "datagrams 1 and 3 (its second .php ends the payload)")
    c.rule(udp('content:"index"; content:".php"; distance:0; endswith;', 2, "relative and endswith"), 1,
           "only index.php: the others have no index or no .php at the end after it")
    c.rule(udp('content:"x=1"; endswith;', 3, "query at the end"), 1, "datagram 2")
    c.rule(udp('content:"index.php"; startswith; endswith;', 4, "whole buffer"), 1,
           "only the first datagram is exactly index.php")
    c.rule(udp('content:".php"; isdataat:!1,relative;', 5, "the long form"), 2, "same as sid 1")


@case("content-fast-pattern")
def content_fast_pattern(c):
    c.about = """fast_pattern (rules/fast-pattern.html): it chooses which content
    (or which part of it, fast_pattern:<offset>,<length>) feeds the
    multi-pattern matcher; fast_pattern:only marks a content used only
    there. It never changes what a rule matches: a chopped fast pattern
    found in the payload does not make a rule match when the whole content
    is missing."""
    c.cap.udp(b"AAAAxyzBBBB")
    c.rule(udp('content:"AAAA"; content:"BBBB"; fast_pattern;', 1, "fast_pattern on the second"), 1,
           "both contents are present")
    c.rule(udp('content:"xyz"; fast_pattern:only;', 2, "fast_pattern:only"), 1, "xyz is present")
    c.rule(udp('content:"xyzBBBB"; fast_pattern:3,4;', 3, "chopped pattern, content present"), 1,
           "the whole content is present")
    c.rule(udp('content:"xyzCCCC"; fast_pattern:0,3;', 4, "chopped pattern present, content not"), 0,
           "xyz is there but xyzCCCC is not")
    c.rule(udp('content:"AAAA"; depth:4; content:"BBBB"; fast_pattern; distance:3;', 5,
               "fast pattern that is relative"), 1, "BBBB starts 3 bytes after AAAA")


@case("content-negated")
def content_negated(c):
    c.about = f"""Negated content ({PK}#content): content:!"x" matches when x is not
    found where the modifiers say to look: anywhere, or relative to the
    previous match with distance/within, or from an offset."""
    c.cap.udp(b"user=admin&pass=x")
    c.cap.udp(b"user=guest&pass=x")
    c.cap.udp(b"admin user=guest")
    c.rule(udp('content:"user="; content:!"admin";', 1, "not anywhere"), 1,
           "only user=guest&pass=x lacks admin")
    c.rule(udp('content:"user="; content:!"admin"; distance:0; within:5;', 2, "not right after"), 2,
           "datagrams 2 and 3: the 5 bytes after user= are guest")
    c.rule(udp('content:"pass="; content:!"guest";', 3, "negation with another content"), 1,
           "only the first datagram has pass= without guest")
    c.rule(udp('content:!"user"; offset:1;', 4, "negated with offset"), 2,
           "user is at byte 0 in datagrams 1 and 2, so not found from byte 1; datagram 3 has it at 6")
    c.rule(udp('content:"pass="; content:!"x"; distance:0;', 5, "negation fails"), 0,
           "x follows pass= in both datagrams that have pass=")


@case("content-invalid-modifiers")
def content_invalid_modifiers(c):
    c.about = f"""Modifier combinations the documentation forbids ({PK}): within
    "can not be 0"; startswith "cannot be mixed with depth, offset, within or
    distance". A
    depth or within shorter than the content is not described: Suricata
    8.0.6 rejects those rules too, and the other combinations of sids 7-13
    (established by comparison). A rule that
    fails to load raises no alert; the valid rule (sid 1) shows the capture
    would match."""
    c.cap.udp(b"GET /index.html")
    c.rule(udp('content:"GET";', 1, "valid"), 1, "loads and matches")
    c.rule(udp('content:"GET"; content:"/index"; within:0;', 2, "within 0"), 0, "within can not be 0")
    c.rule(udp('content:"GET"; startswith; depth:3;', 3, "startswith and depth"), 0,
           "startswith cannot be mixed with depth")
    c.rule(udp('content:"GET"; startswith; content:"/"; startswith; distance:1;', 4,
               "startswith and distance"), 0, "startswith cannot be mixed with distance")
    c.rule(udp('content:"GET /"; depth:3;', 5, "depth shorter than the content"), 0,
           "(comparison) rejected")
    c.rule(udp('content:"GET"; content:"/index"; within:3;', 6, "within shorter than the content"), 0,
           "(comparison) rejected")
    for i, (opts, why) in enumerate([
        ('content:"GET"; content:"/"; distance:0; depth:5;', "a relative and an absolute modifier"),
        ('content:"GET"; content:"/"; offset:1; within:5;', "an absolute and a relative modifier"),
        ('content:"GET"; fast_pattern; content:"/in"; fast_pattern;', "fast_pattern on two contents"),
        ('content:"GET"; nocase; nocase;', "nocase twice"),
        ('content:"GET"; content:"/in"; fast_pattern:only; distance:0;', "fast_pattern:only and distance"),
        ('content:!"GET"; fast_pattern:only;', "fast_pattern:only on a negated content"),
        ('content:"GET"; depth:-3;', "a negative depth"),
    ], 7):
        c.rule(udp(opts, i, why), 0, f"(comparison) {why}: rejected")


@case("pcre-relative")
def pcre_relative(c):
    c.about = f"""pcre R flag and relative keywords after pcre ({PK}#pcre): R
    matches relative to the end of the previous match ("similar to
    distance:0"); a keyword after a pcre is relative to the end of the pcre
    match (the pcre match sets the detection pointer like a content)."""
    c.cap.udp(b"id=123;name=bob;end")
    c.rule(udp('content:"id="; pcre:"/^[0-9]+\\;/R";', 1, "anchored right after content"), 1,
           "123; directly follows id=")
    c.rule(udp('content:"name="; pcre:"/^[0-9]+/R";', 2, "anchored, no digits"), 0, "bob follows name=")
    c.rule(udp('pcre:"/id=[0-9]+/"; content:"|3B|name="; distance:0; within:6;', 3, "content after pcre"), 1,
           "the pcre match ends at byte 6, where ;name= starts")
    c.rule(udp('pcre:"/id=[0-9]+/"; content:"name"; distance:0; within:4;', 4, "window after pcre"), 0,
           "name starts at 7, outside bytes 6-9")
    c.rule(udp('pcre:"/name=/"; byte_test:1,=,98,0,relative;', 5, "byte_test after pcre"), 1,
           "the byte after name= is b (98)")
    c.rule(udp('pcre:"/id=/"; pcre:"/^123/R";', 6, "pcre after pcre"), 1, "123 follows id=")
    c.rule(udp('content:"id="; pcre:"/^\\;/R";', 7, "R anchors at the previous match"), 0,
           "; is not right after id= (^ with R anchors at the previous match end)")
    c.rule(udp('content:"id="; pcre:"/\\;end$/R";', 8, "R and $"), 1, ";end ends the payload")


@case("content-relative-retry")
def content_relative_retry(c):
    c.about = """When a relative keyword fails after the first occurrence of a
    content, Suricata tries the next occurrence of that content (the
    documentation does not spell this out: the counts were established by
    comparison with Suricata 8.0.6; content, pcre and byte_test after a
    content are all retried)."""
    c.cap.udp(b"key=1 key=2 end")
    c.rule(udp('content:"key="; content:"2"; distance:0; within:1;', 1, "content after content"), 1,
           "the second key= is followed by 2")
    c.rule(udp('content:"key="; content:"3"; distance:0; within:1;', 2, "no occurrence fits"), 0,
           "no key= is followed by 3")
    c.rule(udp('content:"key="; pcre:"/^2/R";', 3, "pcre after content"), 1, "(comparison) retried")
    c.rule(udp('content:"key="; byte_test:1,=,50,0,relative;', 4, "byte_test after content"), 1,
           "(comparison) retried: 2 is 50")
    c.rule(udp('content:"key="; isdataat:!6,relative;', 5, "isdataat after content"), 1,
           "(comparison) retried: 10 bytes follow the first key=, 5 the second")


@case("isdataat")
def isdataat(c):
    c.about = f"""isdataat ({PK}#isdataat), absolute: "will succeed if the offset
    used is less than the size of the inspection buffer"; relative to the
    previous match, the documentation's table for an 8-byte payload
    abcdefgh says isdataat:7,relative and :8,relative match and :9,relative
    does not, and after content "c", :4,relative and :5,relative match and
    :6,relative does not (the table is in the current documentation;
    Suricata 8.0.6 behaves as it says, checked by comparison). A relative
    isdataat with no previous match is relative to the buffer start. The
    negation ! inverts the result; rawbytes is accepted and changes
    nothing. Suricata 8.0.6 rejects rawbytes without relative (sids 13, 14: its parser fails on the
    missing relative group, the PCRE2 unset-substring change the
    documentation's pcre section describes); these two checks follow the
    documentation and fail on the reference."""
    c.cap.udp(b"abcdefgh")
    rows = [
        ("isdataat:7;", 1), ("isdataat:8;", 0), ("isdataat:7,relative;", 1), ("isdataat:8,relative;", 1),
        ("isdataat:9,relative;", 0), ('content:"c"; isdataat:4,relative;', 1),
        ('content:"c"; isdataat:5,relative;', 1), ('content:"c"; isdataat:6,relative;', 0),
        ("isdataat:!8;", 1), ("isdataat:!7;", 0), ('content:"h"; isdataat:!1,relative;', 1),
        ('content:"g"; isdataat:!1,relative;', 0), ("isdataat:7,rawbytes;", 1), ("isdataat:!8,rawbytes;", 1),
        ('content:"c"; isdataat:5,relative,rawbytes;', 1), ('content:"c"; isdataat:!6,relative,rawbytes;', 1),
    ]
    for i, (opts, n) in enumerate(rows, 1):
        c.rule(udp(opts, i, opts.replace('"', "").replace(";", "")), n, f"{opts} on abcdefgh: {'match' if n else 'no match'}")


@case("dsize")
def dsize(c):
    c.about = f"""dsize ({PK}#dsize): the size of the packet payload, as an
    unsigned 16-bit integer keyword (rules/integer-keywords.html): exact,
    !n, <, >, <=, >=, and ranges min<>max, which are exclusive (10<>11
    holds no value: Suricata 8.0.6 rejects the rule, established by
    comparison); a value past 16 bits does not fit, and >65535 can never
    hold (sids 13, 14: Suricata 8.0.6 rejects both rules, by comparison).
    Datagrams of 9, 10 and 11 bytes."""
    for n in (9, 10, 11):
        c.cap.udp(b"x" * n)
    rows = [("dsize:10;", 1), ("dsize:!10;", 2), ("dsize:<10;", 1), ("dsize:>10;", 1), ("dsize:<=10;", 2),
            ("dsize:>=10;", 2), ("dsize:9<>11;", 1), ("dsize:8<>12;", 3), ("dsize:10<>11;", 0),
            ("dsize:0;", 0), ("dsize:=10;", 1), ("dsize:!9-11;", 2), ("dsize:70000;", 0), ("dsize:>65535;", 0)]
    for i, (opts, n) in enumerate(rows, 1):
        c.rule(udp(opts, i, opts.rstrip(";")), n, f"{opts} on sizes 9, 10, 11: {n}")


@case("dsize-tcp")
def dsize_tcp(c):
    c.about = f"""dsize on TCP ({PK}#dsize): it is the payload size of each packet,
    so a rule with dsize is inspected per packet, never on reassembled
    stream data; segments with no payload (the handshake, pure ACKs) have
    dsize 0. One connection: a 5-byte and a 7-byte segment from the client,
    a 3-byte reply."""
    t = c.cap.tcp(sport=40001, dport=7000)
    t.send(b"HELLO")
    t.send(b"WORLD!!")
    t.reply(b"ACK")
    t.close()
    rows = [('dsize:5; content:"HELLO";', 1), ('dsize:<7; content:"LLOWO";', 0), ("dsize:7;", 1),
            ("dsize:>4;", 2)]
    for i, (opts, n) in enumerate(rows, 1):
        c.rule(sig("tcp", opts, i, opts.replace('"', "").rstrip(";")), n, f"{opts}: {n}")
    c.rule(sig("tcp", "flow:established; dsize:0;", 5, "empty established packets"), 6,
           "3 ACKs of data and the 3 packets of the teardown; (comparison) the ACK that completes the "
           "handshake is inspected before the connection counts as established")


@case("urilen")
def urilen(c):
    c.about = """urilen (rules/http-keywords.html#urilen): length of the request
    URI, exact, <, >, and ranges n<>m that are exclusive ("10<>20: bigger
    than 10, smaller than 20"; rules/differences-from-snort: in Suricata the
    range is exclusive, unlike Snort: 5<>6 holds no length; Suricata 8.0.6
    matches the length 5 there, so that check, sid 5, follows the
    documentation and fails on the reference); norm (the default) measures
    the normalized URI, raw the URI as sent. urilen is a 16-bit integer:
    70000 makes the rule invalid (sid 10, by comparison). Three requests:
    /abcd (5 bytes), /abcde (6) and /%61bc (raw 6, normalized /abc, 4)."""
    http_exchange(c.cap, "/abcd", 40001)
    http_exchange(c.cap, "/abcde", 40002)
    http_exchange(c.cap, "/%61bc", 40003)
    rows = [("urilen:5;", 1), ("urilen:<6;", 2), ("urilen:>5;", 1), ("urilen:4<>6;", 1), ("urilen:5<>6;", 0),
            ("urilen:6,raw;", 2), ("urilen:6,norm;", 1), ("urilen:<=5;", 2), ("urilen:>=6;", 1),
            ("urilen:70000;", 0)]
    for i, (opts, n) in enumerate(rows, 1):
        c.rule(sig("http", opts, i, opts.rstrip(";")), n, f"{opts}: {n}")


@case("bsize")
def bsize(c):
    c.about = f"""bsize ({PK}#bsize): length of the sticky buffer, as an unsigned
    64-bit integer keyword: exact, <, >, <=, >=, exclusive ranges a<>b, and
    negation (rules/integer-keywords.html: !n, !a-b); a content longer than
    the bsize allows is a rule error ("an error will be raised if the
    content length and the bsize value prevent a match"). On http.uri of
    /abcd (5 bytes), /abcde (6) and /abcdefg (8)."""
    http_exchange(c.cap, "/abcd", 40001)
    http_exchange(c.cap, "/abcde", 40002)
    http_exchange(c.cap, "/abcdefg", 40003)
    rows = [("bsize:5;", 1), ("bsize:<6;", 1), ("bsize:>5;", 2), ("bsize:<=6;", 2), ("bsize:>=6;", 2),
            ("bsize:5<>8;", 1), ("bsize:4<>9;", 3), ("bsize:!6;", 2), ('content:"/abc"; bsize:6;', 1),
            ("bsize:=8;", 1), ("bsize:!5-8;", 2), ('content:"/abcdefgh"; bsize:5;', 0)]
    for i, (opts, n) in enumerate(rows, 1):
        c.rule(sig("http", "http.uri; " + opts, i, opts.replace('"', "").rstrip(";")), n, f"http.uri; {opts}: {n}")


@case("http-uri-modifiers")
def http_uri_modifiers(c):
    c.about = """Content modifiers on an HTTP sticky buffer (rules/http-keywords.html):
    depth, offset, distance, within, nocase, startswith and endswith apply
    within the buffer, here http.uri, not the packet; pcre U inspects the
    normalized URI and R is relative within it."""
    http_exchange(c.cap, "/admin/login.php?user=root", 40001)
    http_exchange(c.cap, "/static/admin.css", 40002)
    rows = [('http.uri; content:"/admin"; startswith;', 1), ('http.uri; content:".php"; endswith;', 0),
            ('http.uri; content:"user="; content:"root"; distance:0; within:4;', 1),
            ('http.uri; content:"ADMIN"; nocase; depth:6;', 1), ('http.uri; content:"admin"; offset:2;', 1),
            ('http.uri; content:".css"; endswith;', 1), ('content:"/admin"; http_uri; depth:6;', 1),
            ('pcre:"/^\\/static\\//U";', 1), ('http.uri; content:"login"; pcre:"/^\\.php/R";', 1),
            ('http.uri; content:"GET";', 0)]
    for i, (opts, n) in enumerate(rows, 1):
        c.rule(sig("http", opts, i, f"uri modifiers {i}"), n, f"{opts}: {n}")


@case("content-escapes")
def content_escapes(c):
    c.about = f"""Content escapes ({PK}#content): bytes in |hex| (upper or lower
    case, spaces between bytes), and the characters that "must be escaped
    inside the content": ; \\ and " (as \\; \\\\ \\" or in hex: |3B| |5C| |22|);
    | is written |7C|. Payload: a;b"c\\d|e."""
    c.cap.udp(b'a;b"c\\d|e')
    rows = [('content:"a|3B|b";', 1), ('content:"a\\;b";', 1), ('content:"b\\"c";', 1), ('content:"c\\\\d";', 1),
            ('content:"d|7C|e";', 1), ('content:"|61 3b|b";', 1), ('content:"|63 5C 64|";', 1),
            ('content:"|22|c|5c|";', 1), ('content:"a|3B 62 22|c";', 1), ('content:"a|3B|c";', 0)]
    for i, (opts, n) in enumerate(rows, 1):
        c.rule(udp(opts, i, f"escape {i}"), n, f"{opts}: {n}")


@case("pcre-flags")
def pcre_flags(c):
    c.about = f"""pcre modifiers ({PK}#pcre): i caseless; s lets . match a newline;
    m makes ^ and $ match at line starts and ends; A anchors the match at
    the start of the buffer; E ("ignores newline characters at the end of
    the buffer": $ matches only at the very end, PCRE's DOLLAR_ENDONLY, as
    Suricata 8.0.6 confirms by comparison); G inverts greediness; ! negates
    the pcre. Payload "abc\\nDEF\\n"."""
    c.cap.udp(b"abc\nDEF\n")
    rows = [('pcre:"/def/i";', 1), ('pcre:"/def/";', 0), ('pcre:"/c.D/";', 0), ('pcre:"/c.D/s";', 1),
            ('pcre:"/^DEF/";', 0), ('pcre:"/^DEF/m";', 1), ('pcre:"/DEF$/";', 1), ('pcre:"/DEF$/E";', 0),
            ('pcre:"/bc/A";', 0), ('pcre:"/ab/A";', 1), ('pcre:!"/xyz/";', 1), ('pcre:!"/abc/";', 0),
            ('pcre:"/a.*\\n/sG"; content:"DEF"; distance:0; within:3;', 1)]
    for i, (opts, n) in enumerate(rows, 1):
        c.rule(udp(opts, i, f"pcre flags {i}"), n, f"{opts}: {n}")


@case("byte-math")
def byte_math(c):
    c.about = f"""byte_math ({PK}#byte-math): reads bytes, applies oper (+ - * / <<
    >>) with rvalue (a number or a variable) and stores the result for
    byte_test, isdataat and content modifiers; relative counts from the
    previous match; "if oper is / and the divisor is 0, there will never be
    a match". Like byte_extract, it moves the detection pointer past the
    bytes it read (not documented; established by comparison with Suricata
    8.0.6). Payload 02 03 "ABCDEF"."""
    c.cap.udp(b"\x02\x03ABCDEF")
    rows = [
        ("byte_math:bytes 1, offset 0, oper +, rvalue 1, result v; byte_test:1,=,v,1;", 1, "2 + 1 = 3, byte 1"),
        ("byte_math:bytes 1, offset 1, oper -, rvalue 1, result v; byte_test:1,=,v,0;", 1, "3 - 1 = 2, byte 0"),
        ("byte_math:bytes 1, offset 0, oper *, rvalue 3, result v; isdataat:v;", 1, "2 x 3 = 6 < 8"),
        ("byte_math:bytes 1, offset 0, oper *, rvalue 4, result v; isdataat:v;", 0, "2 x 4 = 8"),
        ("byte_math:bytes 1, offset 1, oper /, rvalue 0, result v; isdataat:0;", 0, "division by 0"),
        ("byte_math:bytes 1, offset 0, oper <<, rvalue 1, result v; isdataat:v;", 1, "2 << 1 = 4 < 8"),
        ("byte_math:bytes 1, offset 0, oper <<, rvalue 2, result v; isdataat:v;", 0, "2 << 2 = 8"),
        ("byte_math:bytes 1, offset 1, oper >>, rvalue 1, result v; byte_test:1,=,v,1,bitmask 0x02;", 1,
         "3 >> 1 = 1 = 0x03 & 0x02 >> 1"),
        ('content:"|02|"; byte_math:bytes 1, offset 0, oper +, rvalue 0, result v, relative; '
         'content:"D"; offset:v;', 1, "03 after 02: D at 5 >= 3"),
        ('content:"|02|"; byte_math:bytes 1, offset 0, oper +, rvalue 0, result v, relative; '
         'content:"A"; distance:0; within:1;', 1, "(comparison) the pointer moves past the byte read"),
        ("byte_extract:1,0,e; byte_math:bytes 1, offset 1, oper +, rvalue e, result v; isdataat:v;", 1,
         "3 + 2 = 5 < 8"),
        ("byte_math:bytes 2, offset 0, oper +, rvalue 0, result v, endian little; isdataat:v;", 0,
         "03 02 little is 770"),
    ]
    for i, (opts, n, why) in enumerate(rows, 1):
        c.rule(udp(opts, i, f"byte_math {i}"), n, f"{opts} {why}: {n}")


@case("content-stream-position")
def content_stream_position(c):
    c.about = f"""Absolute content positions on TCP ({PK}#depth, #offset;
    rules/flow-keywords.html#flow): on a packet, depth and offset count from
    the start of its payload; on the reassembled stream, from the start of
    the stream. One connection: XXXX, then GET /a in a second segment. How
    stream inspection treats a depth that only a later packet's data could
    satisfy (sids 2, 5) was established by comparison with Suricata 8.0.6."""
    t = c.cap.tcp(sport=40001, dport=7000)
    t.send(b"XXXX")
    t.send(b"GET /a")
    t.close()
    rows = [('content:"GET"; depth:3;', 1, "the second packet starts with GET"),
            ('flow:only_stream; content:"GET"; depth:3;', 0, "(comparison) the stream starts with XXXX"),
            ('flow:only_stream; content:"XXXXGET"; depth:7;', 1, "the stream's first 7 bytes"),
            ('flow:no_stream; content:"XXXXGET";', 0, "no packet holds it"),
            ('flow:only_stream; content:"GET"; offset:4; depth:3;', 1, "(comparison) bytes 4-6 of the stream"),
            ('flow:no_stream; content:"GET"; offset:4;', 0, "no packet has GET at 4")]
    for i, (opts, n, why) in enumerate(rows, 1):
        c.rule(sig("tcp", opts, i, f"position {i}"), n, f"{opts} {why}")


@case("content-stream-reoccurrence")
def content_stream_reoccurrence(c):
    c.about = f"""A content that occurs again in later data of the same TCP stream
    ({PK}; rules/flow-keywords.html#flow). Stream inspection looks back over
    data it already inspected, so each occurrence must alert once: one
    connection sends STEP2 twice in two segments and then DONE, data
    inspected in one go (one alert); another sends STEP2, gets a reply,
    then sends STEP2 again after enough data that the stream is inspected
    between them, the second occurrence lying within the looked-back
    window (two alerts); a third sends STEP2 split over two segments (ST,
    EP2), which only the stream holds. Counts established by comparison
    with Suricata 8.0.6: its documentation does not say how many alerts a
    stream rule raises."""
    t = c.cap.tcp(sport=40011, dport=7000)
    t.send(b"STEP2 ")
    t.send(b"STEP2 ")
    t.send(b"DONE")
    t.close()
    r = c.cap.tcp(sport=40013, dport=7000)
    r.send(b"x" * 3000 + b" STEP2 ")
    r.reply(b"OK")
    r.send(b" STEP2 ")
    r.reply(b"OK")
    r.close()
    s = c.cap.tcp(sport=40012, dport=7000)
    s.send(b"ST")
    s.send(b"EP2")
    s.close()
    c.rule(sig("tcp", 'flow:only_stream; content:"STEP2";', 1, "stream STEP2"), 4,
           "(comparison) one alert for the first connection's data inspected at once, one per "
           "occurrence inspected apart in the second, one for the split occurrence")
    c.rule(sig("tcp", 'flow:no_stream; content:"STEP2";', 2, "packet STEP2"), 4,
           "the four packets holding STEP2 whole")
    c.rule(sig("tcp", 'content:"STEP2"; content:"DONE"; distance:0;', 3, "STEP2 then DONE"), 1,
           "(comparison) once: DONE follows both occurrences")
