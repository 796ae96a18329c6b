/*
 * test_guard.c -- the client address behind reverse proxies (guard_client_addr
 * of src/http_guard.c, `serve --trusted-proxy`) and the address lists it and
 * `--metrics-allow` take.
 */
#include "t.h"
#include "http_guard.h"

#define H(n, v) {n, sizeof n - 1, v, sizeof v - 1}

static const char *client(const char *peer, const guard_header *h, size_t n) {
    static char out[64];
    if (guard_client_addr(peer, h, n, out, sizeof out)) return "(error)";
    return out;
}

TEST(untrusted_peer_is_the_client) {
    ASSERT_OK(guard_trusted_proxies("none"));
    guard_header h[] = {H("X-Forwarded-For", "198.51.100.7"), H("x-real-ip", "198.51.100.8")};
    ASSERT_STR_EQ(client("127.0.0.1", h, 2), "127.0.0.1");
    ASSERT_OK(guard_trusted_proxies("10.0.0.1"));
    ASSERT_STR_EQ(client("127.0.0.1", h, 2), "127.0.0.1");
}

TEST(forwarded_for_read_from_its_end) {
    ASSERT_OK(guard_trusted_proxies("127.0.0.1,10.0.0.0/8,fd00::/8"));
    guard_header one[] = {H("x-forwarded-for", "198.51.100.7")};
    ASSERT_STR_EQ(client("127.0.0.1", one, 1), "198.51.100.7");
    /* what the client wrote itself stands left of what the proxy appended */
    guard_header forged[] = {H("X-Forwarded-For", "203.0.113.250 , 198.51.100.8")};
    ASSERT_STR_EQ(client("127.0.0.1", forged, 1), "198.51.100.8");
    /* trusted hops are skipped, over several header lines */
    guard_header chain[] = {H("x-forwarded-for", "203.0.113.1, 198.51.100.9"), H("x-forwarded-for", "10.1.2.3,fd00::5")};
    ASSERT_STR_EQ(client("127.0.0.1", chain, 2), "198.51.100.9");
    /* all trusted: the leftmost */
    guard_header all[] = {H("x-forwarded-for", "10.9.9.9, 10.1.1.1")};
    ASSERT_STR_EQ(client("127.0.0.1", all, 1), "10.9.9.9");
    /* not an address: the last hop that was one */
    guard_header bad[] = {H("x-forwarded-for", "198.51.100.1, 10.2.2.2:8080, 10.1.1.1")};
    ASSERT_STR_EQ(client("127.0.0.1", bad, 1), "10.1.1.1");
    guard_header empty[] = {H("x-forwarded-for", ""), H("x-real-ip", "198.51.100.3")};
    ASSERT_STR_EQ(client("127.0.0.1", empty, 2), "127.0.0.1");
    /* the usual spelling; an IPv4-mapped IPv6 address as IPv4 */
    guard_header v6[] = {H("x-forwarded-for", "2001:DB8:0:0::7")};
    ASSERT_STR_EQ(client("127.0.0.1", v6, 1), "2001:db8::7");
    guard_header mapped[] = {H("x-forwarded-for", "::ffff:198.51.100.4")};
    ASSERT_STR_EQ(client("::ffff:127.0.0.1", mapped, 1), "198.51.100.4");
}

TEST(real_ip_only_without_forwarded_for) {
    ASSERT_OK(guard_trusted_proxies("127.0.0.1"));
    guard_header real[] = {H("X-Real-IP", " 198.51.100.5 ")};
    ASSERT_STR_EQ(client("127.0.0.1", real, 1), "198.51.100.5");
    guard_header both[] = {H("x-real-ip", "203.0.113.9"), H("x-forwarded-for", "198.51.100.6")};
    ASSERT_STR_EQ(client("127.0.0.1", both, 2), "198.51.100.6");
    guard_header junk[] = {H("x-real-ip", "localhost")};
    ASSERT_STR_EQ(client("127.0.0.1", junk, 1), "127.0.0.1");
}

TEST(long_chains_are_cut) {
    ASSERT_OK(guard_trusted_proxies("10.0.0.0/8"));
    static char v[2000];
    size_t n = 0;
    n += (size_t)snprintf(v + n, sizeof v - n, "198.51.100.1");
    for (int i = 0; i < 100; i++) n += (size_t)snprintf(v + n, sizeof v - n, ",10.0.0.%d", i % 250);
    guard_header h[] = {{"x-forwarded-for", 15, v, n}};
    /* 64 hops are read, all trusted: the client is not reached */
    ASSERT(strncmp(client("10.0.0.1", h, 1), "10.0.0.", 7) == 0);
}

TEST(address_lists) {
    ASSERT_EQ(guard_trusted_proxies(""), JC_ERR_INVALID);
    ASSERT_EQ(guard_trusted_proxies("10.0.0.0/33"), JC_ERR_INVALID);
    ASSERT_EQ(guard_trusted_proxies("10.0.0.1,"), JC_ERR_INVALID);
    ASSERT_EQ(guard_trusted_proxies("proxy.local"), JC_ERR_INVALID);
    ASSERT_EQ(guard_trusted_proxies("::1/129"), JC_ERR_INVALID);
    ASSERT_OK(guard_metrics_allow("10.2.0.0/16,::1"));
    ASSERT(guard_metrics_addr_ok("10.2.250.1"));
    ASSERT(!guard_metrics_addr_ok("10.3.0.1"));
    ASSERT(guard_metrics_addr_ok("::1"));
    ASSERT(!guard_metrics_addr_ok("127.0.0.1"));
    ASSERT_OK(guard_metrics_allow("10.2.3.128/25"));
    ASSERT(guard_metrics_addr_ok("10.2.3.200"));
    ASSERT(!guard_metrics_addr_ok("10.2.3.100"));
    ASSERT_EQ(guard_metrics_allow("10.2.0.0/16,bad"), JC_ERR_INVALID);
    ASSERT(guard_metrics_addr_ok("10.2.3.200")); /* unchanged by a bad list */
    ASSERT_OK(guard_metrics_allow("none"));
    ASSERT(!guard_metrics_addr_ok("10.2.3.200"));
    ASSERT_OK(guard_metrics_allow("127.0.0.0/8"));
}

T_MAIN(T(untrusted_peer_is_the_client), T(forwarded_for_read_from_its_end), T(real_ip_only_without_forwarded_for),
       T(long_chains_are_cut), T(address_lists))
