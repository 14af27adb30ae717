pragma circom 2.0.0;

// K Merkle-membership checks of depth DEPTH with circomlib's Poseidon (BN254):
// the same application statement as the Poseidon2 circuit of rollup/bench_peer.py.
// Private: leaf, index bits, siblings of each path. Public (outputs): the K roots.

include "node_modules/circomlib/circuits/poseidon.circom";
include "node_modules/circomlib/circuits/switcher.circom";

template MerklePath(DEPTH) {
    signal input leaf;
    signal input bits[DEPTH];
    signal input siblings[DEPTH];
    signal output root;

    component hashers[DEPTH];
    component switchers[DEPTH];
    signal nodes[DEPTH + 1];
    nodes[0] <== leaf;
    for (var i = 0; i < DEPTH; i++) {
        bits[i] * (bits[i] - 1) === 0;
        switchers[i] = Switcher();
        switchers[i].sel <== bits[i];
        switchers[i].L <== nodes[i];
        switchers[i].R <== siblings[i];
        hashers[i] = Poseidon(2);
        hashers[i].inputs[0] <== switchers[i].outL;
        hashers[i].inputs[1] <== switchers[i].outR;
        nodes[i + 1] <== hashers[i].out;
    }
    root <== nodes[DEPTH];
}

template MerkleChecks(K, DEPTH) {
    signal input leaf[K];
    signal input bits[K][DEPTH];
    signal input siblings[K][DEPTH];
    signal output roots[K];

    component paths[K];
    for (var k = 0; k < K; k++) {
        paths[k] = MerklePath(DEPTH);
        paths[k].leaf <== leaf[k];
        for (var i = 0; i < DEPTH; i++) {
            paths[k].bits[i] <== bits[k][i];
            paths[k].siblings[i] <== siblings[k][i];
        }
        roots[k] <== paths[k].root;
    }
}
