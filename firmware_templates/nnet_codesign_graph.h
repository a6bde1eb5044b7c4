// codesign extension kernels for the interaction network on a fully connected directed graph of N nodes
// without self-loops (codesign/hls_ext/interaction.py). Edges are numbered receiver-major:
// edge e = r * (N - 1) + k joins sender s = (k < r ? k : k + 1) to receiver r.
// Both kernels only add and move values: no multiplier, no 0/1 matrix.
#ifndef NNET_CODESIGN_GRAPH_H_
#define NNET_CODESIGN_GRAPH_H_

#include "nnet_common.h"

namespace nnet {

struct edge_pair_sum_config {
    static const unsigned n_nodes = 2;
    static const unsigned n_feat = 1;
    static const bool relu = false;
    typedef ap_fixed<16, 6> accum_t;
};

// res[e][d] = act(recv[r][d] + send[s][d]): the edge MLP's first layer W [x_r; x_s] + b split as
// (W_r x_r + b) + W_s x_s, each computed once per node. accum_t holds the sum exactly; the cast to res_T
// applies the result type's rounding and saturation (a quantized_relu's ap_ufixed).
template <class data1_T, class data2_T, class res_T, typename CONFIG_T>
void edge_pair_sum(data1_T recv[CONFIG_T::n_nodes * CONFIG_T::n_feat], data2_T send[CONFIG_T::n_nodes * CONFIG_T::n_feat],
                   res_T res[CONFIG_T::n_nodes * (CONFIG_T::n_nodes - 1) * CONFIG_T::n_feat]) {
    #pragma HLS INLINE
    const unsigned N = CONFIG_T::n_nodes;
    const unsigned D = CONFIG_T::n_feat;
EdgeR:
    for (unsigned r = 0; r < N; r++) {
        #pragma HLS UNROLL
    EdgeK:
        for (unsigned k = 0; k < N - 1; k++) {
            #pragma HLS UNROLL
            const unsigned s = k < r ? k : k + 1;
            const unsigned e = r * (N - 1) + k;
        EdgeD:
            for (unsigned d = 0; d < D; d++) {
                #pragma HLS UNROLL
                typename CONFIG_T::accum_t sum = recv[r * D + d];
                sum += send[s * D + d];
                if (CONFIG_T::relu && sum < 0) {
                    res[e * D + d] = 0;
                } else {
                    res[e * D + d] = sum;
                }
            }
        }
    }
}

struct receiver_sum_config {
    static const unsigned n_nodes = 2;
    static const unsigned n_feat = 1;
    typedef ap_fixed<16, 6> accum_t;
};

// res[r][d] = sum over the N - 1 edges into r of edges[e][d], summed in accum_t (exact), then cast to res_T.
template <class data_T, class res_T, typename CONFIG_T>
void receiver_sum(data_T edges[CONFIG_T::n_nodes * (CONFIG_T::n_nodes - 1) * CONFIG_T::n_feat],
                  res_T res[CONFIG_T::n_nodes * CONFIG_T::n_feat]) {
    #pragma HLS INLINE
    const unsigned N = CONFIG_T::n_nodes;
    const unsigned D = CONFIG_T::n_feat;
RecvR:
    for (unsigned r = 0; r < N; r++) {
        #pragma HLS UNROLL
    RecvD:
        for (unsigned d = 0; d < D; d++) {
            #pragma HLS UNROLL
            typename CONFIG_T::accum_t acc = 0;
        RecvK:
            for (unsigned k = 0; k < N - 1; k++) {
                #pragma HLS UNROLL
                acc += edges[(r * (N - 1) + k) * D + d];
            }
            res[r * D + d] = acc;
        }
    }
}

} // namespace nnet

#endif
