set -e
S=${1:-/work/wt/sgemm-mt/native/src}
g++ -std=c++17 -O3 -fno-math-errno -pthread -I$S bench.cc $S/gemm.cc $S/parallel.cc -o bench -lopenblas
