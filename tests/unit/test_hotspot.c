/*
 * test_hotspot.c -- hotspot ranking (src/hotspot.c): tail probabilities
 * against R (ppois, pnbinom, p.adjust), ranking and flagging on a small
 * map, and rejection of bad input.
 */
#include "t.h"

#include "hotspot.h"

TEST(tails_match_r) {
    /* R: ppois(9, 3, lower.tail = FALSE) etc. */
    ASSERT_NEAR(hotspot_ppois_upper(10, 3), 0.00110248813011548, 1e-15);
    ASSERT_NEAR(hotspot_ppois_upper(1, 0.5), 0.393469340287367, 1e-15);
    ASSERT_NEAR(hotspot_ppois_upper(50, 20) / 1.24589260797194e-08, 1, 1e-10);
    ASSERT_NEAR(hotspot_ppois_upper(0, 4), 1, 0);
    /* R: pnbinom(9, size = 2, mu = 3, lower.tail = FALSE) */
    ASSERT_NEAR(hotspot_pnbinom_upper(10, 2, 3), 0.030233088, 1e-9);
}

/* A chain of 5 grids: g0-g1-g2-g3-g4.  g2 jumps from ~2 to 14 while its
 * neighbours stay at ~2; g4 is always busy (~12) and is at 13 now. */
static const double hist[5][8] = {
    {2, 1, 3, 2, 2, 1, 2, 3}, {2, 2, 1, 3, 2, 2, 1, 2}, {2, 3, 1, 2, 2, 2, 3, 1},
    {1, 2, 2, 3, 2, 1, 2, 2}, {12, 11, 13, 12, 12, 11, 13, 12}};
static const size_t nb0[] = {1}, nb1[] = {0, 2}, nb2[] = {1, 3}, nb3[] = {2, 4}, nb4[] = {3};

static void make_map(hotspot_area *a, const double *cur) {
    const size_t *nbs[5] = {nb0, nb1, nb2, nb3, nb4};
    const size_t nn[5] = {1, 2, 2, 2, 1};
    static const char *ids[5] = {"g0", "g1", "g2", "g3", "g4"};
    for (int i = 0; i < 5; i++) {
        a[i] = (hotspot_area){ids[i], cur[i], hist[i], 8, nbs[i], nn[i]};
    }
}

TEST(spike_is_top_hotspot) {
    double cur[5] = {2, 3, 14, 2, 13};
    hotspot_area a[5];
    make_map(a, cur);
    hotspot_params p;
    hotspot_params_default(&p);
    hotspot_result r[5];
    ASSERT_OK(hotspot_score(a, 5, &p, r));
    ASSERT_EQ(r[0].area, 2);
    ASSERT_EQ(r[0].hotspot, 1);
    /* expected = 0.5 * 2 + 0.5 * mean(own g1, own g3) */
    ASSERT_NEAR(r[0].expected, 0.5 * 2 + 0.5 * (15.0 / 8 + 15.0 / 8) / 2, 1e-12);
    ASSERT(r[0].p_adjusted >= r[0].p_value);
    for (int i = 1; i < 5; i++) {
        ASSERT_EQ(r[i].hotspot, 0); /* g4's 13 is normal for g4 */
        ASSERT(r[i].p_value >= r[i - 1].p_value);
    }
    char buf[512];
    hotspot_explain(&r[0], a, &p, 5, buf, sizeof buf);
    ASSERT(strstr(buf, "g2 is a HOTSPOT") != NULL);
    /* Bonferroni is stricter than BH: the adjusted p is p * 5 */
    p.correction = HOTSPOT_BONFERRONI;
    ASSERT_OK(hotspot_score(a, 5, &p, r));
    ASSERT_NEAR(r[0].p_adjusted, fmin(1, r[0].p_value * 5), 1e-15);
}

TEST(bh_adjustment_matches_r) {
    /* four isolated areas whose p-values come out ordered; compare with
     * p.adjust(p, "BH") computed from our own raw p-values */
    double h[4] = {3, 3, 3, 3};
    hotspot_area a[4];
    double cur[4] = {9, 7, 6, 4};
    for (int i = 0; i < 4; i++) a[i] = (hotspot_area){NULL, cur[i], h, 4, NULL, 0};
    hotspot_params p;
    hotspot_params_default(&p);
    hotspot_result r[4];
    ASSERT_OK(hotspot_score(a, 4, &p, r));
    double raw[4];
    for (int i = 0; i < 4; i++) raw[i] = r[i].p_value;
    for (int i = 0; i < 4; i++) {
        double best = 1;
        for (int j = i; j < 4; j++) best = fmin(best, raw[j] * 4 / (j + 1));
        ASSERT_NEAR(r[i].p_adjusted, best, 1e-15);
    }
    ASSERT_EQ(r[0].area, 0);
    ASSERT_NEAR(r[0].p_value, hotspot_ppois_upper(9, 3), 1e-15); /* no overdispersion: Poisson */
    ASSERT_EQ(r[0].size, 0);
}

TEST(never_seen_area_uses_floor) {
    double h0[4] = {0, 0, 0, 0};
    hotspot_area a[1] = {{"new", 3, h0, 4, NULL, 0}};
    hotspot_params p;
    hotspot_params_default(&p);
    hotspot_result r[1];
    ASSERT_OK(hotspot_score(a, 1, &p, r));
    ASSERT_NEAR(r[0].expected, 0.125, 1e-15);
    ASSERT(r[0].p_value > 0 && r[0].p_value < 1e-3);
    ASSERT_EQ(r[0].hotspot, 1);
}

TEST(rejects_bad_input) {
    double h[2] = {1, 2}, bad[2] = {1, -2};
    size_t far[1] = {7};
    hotspot_params p;
    hotspot_params_default(&p);
    hotspot_result r[2];
    hotspot_area a[2] = {{"a", 1, h, 2, NULL, 0}, {"b", 1, h, 2, far, 1}};
    ASSERT_EQ(hotspot_score(a, 2, &p, r), JC_ERR_INVALID);
    a[1].nneigh = 0;
    a[1].history = bad;
    ASSERT_EQ(hotspot_score(a, 2, &p, r), JC_ERR_INVALID);
    a[1].history = h;
    a[0].current = NAN;
    ASSERT_EQ(hotspot_score(a, 2, &p, r), JC_ERR_INVALID);
    a[0].current = 1;
    p.neighbour_weight = 1.5;
    ASSERT_EQ(hotspot_score(a, 2, &p, r), JC_ERR_INVALID);
    p.neighbour_weight = 0.5;
    ASSERT_OK(hotspot_score(a, 2, &p, r));
    ASSERT_OK(hotspot_score(a, 0, &p, r));
}

T_MAIN(T(tails_match_r), T(spike_is_top_hotspot), T(bh_adjustment_matches_r),
       T(never_seen_area_uses_floor), T(rejects_bad_input))
