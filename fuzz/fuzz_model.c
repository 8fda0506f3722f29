/* fuzz_model.c - libFuzzer harness for the safetensors reader (model_parse). A file it accepts
 * must describe a usable network: it re-encodes and re-parses to bit-identical parameters and a
 * forward pass on a small input stays finite when the weights are moderate. */
#include <math.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "kernels.h"
#include "model_io.h"
#include "net.h"

#define FORWARD_MAX_PARAMS ((size_t)1 << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    kernels_set_threads(1);
    return 0;
}

/* Probabilities of one forward pass on a mid-grey input: in [0,1] and summing to ~1 whenever
 * every weight is small enough that no logit can overflow. */
static void check_forward(const Net *net) {
    if (net->nparams > FORWARD_MAX_PARAMS) return;
    char err[ERR_LEN];
    NetWork wk;
    FUZZ_ASSERT(netwk_create(&wk, net, 1, err) == 0, "netwk_create: %s", err);
    int D = net->sizes[0], K = net->sizes[net->nlayers];
    float *x = xcalloc((size_t)D, sizeof(float));
    FUZZ_ASSERT(x != NULL, "out of memory");
    for (int i = 0; i < D; i++) x[i] = (float)(i % 7) / 7.0f;
    net_forward(net, &wk, x, NULL, 1);
    float amax = 0;
    for (size_t i = 0; i < net->nparams; i++) amax = fmaxf(amax, fabsf(net->params[i]));
    if (amax < 1.0f) {
        const float *p = net_probs(net, &wk);
        double sum = 0;
        for (int k = 0; k < K; k++) {
            FUZZ_ASSERT(p[k] >= 0.0f && p[k] <= 1.0f, "probability %d is %g", k, p[k]);
            sum += p[k];
        }
        FUZZ_ASSERT(fabs(sum - 1.0) < 1e-3, "probabilities sum to %g", sum);
    }
    free(x);
    netwk_free(&wk);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    Net net = {0};
    ModelMeta meta = {0};
    char err[ERR_LEN] = "";
    if (model_parse(data, size, &net, &meta, err) != 0) {
        fuzz_check_err(err);
        FUZZ_ASSERT(net.params == NULL, "failed parse left memory in net");
        return 0;
    }
    FUZZ_ASSERT(net.nlayers >= 1 && net.nlayers <= NET_MAX_LAYERS, "nlayers %d", net.nlayers);
    size_t want = 0;
    for (int l = 0; l < net.nlayers; l++) {
        FUZZ_ASSERT(net.sizes[l] >= 1 && net.sizes[l + 1] >= 1, "layer %d sizes", l);
        want += (size_t)net.sizes[l] * (size_t)net.sizes[l + 1] + (net.bias == BIAS_LAYER ? 1 : (size_t)net.sizes[l + 1]);
    }
    FUZZ_ASSERT(want == net.nparams, "nparams %zu, sizes say %zu", net.nparams, want);
    FUZZ_ASSERT(net_all_finite(&net), "accepted a non-finite weight");

    /* Round trip: what we accept we can write, and reading it back gives the same bits. */
    uint8_t *buf = NULL;
    size_t len = 0;
    if (model_encode(&net, &meta, &buf, &len, err) == 0) {
        Net again = {0};
        ModelMeta meta2 = {0};
        FUZZ_ASSERT(model_parse(buf, len, &again, &meta2, err) == 0, "re-parse of our own encoding: %s", err);
        FUZZ_ASSERT(net_same_shape(&net, &again) && again.nparams == net.nparams &&
                        memcmp(net.params, again.params, net.nparams * sizeof(float)) == 0,
                    "round trip changed the network");
        net_free(&again);
        free(buf);
    } else {
        /* Only the metadata table can legitimately be too full to re-encode. */
        fuzz_check_err(err);
        FUZZ_ASSERT(strstr(err, "metadata") != NULL || strstr(err, "classes") != NULL, "encode failed: %s", err);
    }
    check_forward(&net);
    net_free(&net);
    return 0;
}
