// codesign anomaly score: one number per event, computed in fixed point inside the firmware.
// Fixed template: codesign/hls_ext/anomaly_score.py only renders CONFIG_T (kind, sizes, types) and the call.
// Its numpy twin is codesign/reference/score.py; both must change together (the tests compare them bit for bit).
//
//   kind 0  mu2: sum_i mu_i^2
//   kind 1  rz : sum_i mu_i^2 * T(lv_i),           T(v) = exp(-v)                 (= mu^2 / sigma^2)
//   kind 2  kl : sum_i (mu_i^2 / 2 + T(lv_i)),     T(v) = (exp(v) - 1 - v) / 2    (= KL(q || N(0,1)))
//   kind 3  sse: sum_i (x_i - y_i)^2               (an autoencoder's squared reconstruction error)
//
// mu (or x, y) are first cast to input_t; the log-variance is cast to index_t, whose 2^W codes index the table T
// (table_t values, written by codesign as the layer's weights). Every product and the sum of two terms are exact
// (ap_fixed widens them); each new partial sum is cast to accum_t, the final sum to the result type.
#ifndef NNET_ANOMALY_SCORE_H_
#define NNET_ANOMALY_SCORE_H_

#include "ap_fixed.h"

namespace nnet {

struct anomaly_score_config {}; // the base of every score's config struct (codesign's estimator reads it by name)

template <class in1_T, class in2_T, class res_T, typename CONFIG_T>
void anomaly_score(in1_T in1[CONFIG_T::n_in], in2_T in2[CONFIG_T::n_in], res_T res[1],
                   const typename CONFIG_T::table_t table[CONFIG_T::table_size]) {
    #pragma HLS INLINE
    typename CONFIG_T::accum_t acc = 0;
    const ap_ufixed<1, 0> half = 0.5;
Terms:
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
        #pragma HLS UNROLL
        typename CONFIG_T::input_t a = in1[i];
        if (CONFIG_T::kind == 3) {
            typename CONFIG_T::input_t b = in2[i];
            acc = acc + (a - b) * (a - b);
            continue;
        }
        if (CONFIG_T::kind == 0) {
            acc = acc + a * a;
            continue;
        }
        typename CONFIG_T::index_t v = in2[i];
        ap_uint<CONFIG_T::index_bits> code = v.range(CONFIG_T::index_bits - 1, 0);
        code[CONFIG_T::index_bits - 1] = !code[CONFIG_T::index_bits - 1]; // two's complement -> offset binary
        typename CONFIG_T::table_t t = table[code.to_uint()];
        if (CONFIG_T::kind == 1) {
            acc = acc + a * a * t;
        } else {
            acc = acc + (half * (a * a) + t);
        }
    }
    res[0] = acc;
}

} // namespace nnet

#endif
