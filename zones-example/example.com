; The suite's example zone (DESIGN.md §1): served by primary-git in the
; demo, the tests and the benchmarks. Servers of the test network are in
; 10.53.0.0/24; other addresses are from the documentation ranges
; 192.0.2.0/24 and 2001:db8::/32.
$ORIGIN example.com.
$TTL 3600
@               IN SOA  ns1.example.com. hostmaster.example.com. (
                        2026112301 ; serial
                        7200       ; refresh (2 hours)
                        3600       ; retry (1 hour)
                        1209600    ; expire (2 weeks)
                        300 )      ; minimum (negative TTL)
                NS      ns1
                NS      ns2
                MX      10 mail
                MX      20 mail2.example.org.
                TXT     "v=spf1 mx ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
                SPF     "v=spf1 mx ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
                CAA     0 issue "letsencrypt.org"
                CAA     0 iodef "mailto:hostmaster@example.com"
                A       192.0.2.10
                AAAA    2001:db8::10
                HTTPS   1 . alpn="h2,h3" ipv4hint=192.0.2.10 ipv6hint=2001:db8::10

; Name servers with in-zone glue (the test network).
ns1             A       10.53.0.1
                AAAA    2001:db8:53::1
ns2             A       10.53.0.2
                AAAA    2001:db8:53::2

mail            A       192.0.2.25
                AAAA    2001:db8::25
_submission._tcp SRV    0 1 587 mail
_imaps._tcp     SRV     0 1 993 mail
_dmarc          TXT     "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"

; A CNAME chain: ftp -> www -> web -> apex.
www             CNAME   web
web             CNAME   @
ftp             CNAME   www
_443._tcp.www   TLSA    3 1 1 099573FCB7C435025B9EE1299FE3D71B4C172CE34554544FDBB56B601C47163C

host            A       192.0.2.30
                AAAA    2001:db8::30
                SSHFP   4 2 B7A06384A440BAACCBA00EF0D5AC38DF113DB2F7E21190915D5EF1A22FB7CEE4
                SSHFP   1 2 17B43C5D5DEFBCE7F7CE6C03D7BC9B6A9352EB8E1675AB63C09AC8447658AC8D

; A wildcard, and a name below it that exists.
*.wild          A       192.0.2.40
                TXT     "synthesized from *.wild.example.com"
exact.wild      A       192.0.2.41

; a.b.ent exists, so b.ent and ent are empty non-terminals.
a.b.ent         A       192.0.2.50

; A delegated child with in-bailiwick glue, and a DS.
child           NS      ns1.child
                NS      ns2.example.org.
                DS      31589 13 2 9DF696FF43B330F4B7CF564EC940DC32D29318790FE55DC91A5498FC8E9963BE
ns1.child       A       192.0.2.60
                AAAA    2001:db8::60

_acme-challenge 60 TXT  "placeholder-until-the-letsencrypt-unikernel-updates-it"
