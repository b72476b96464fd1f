//! Products of f32 activations with Q4_0 weight matrices as 8-bit integer dot products, for
//! x86-64 CPUs with AVX-512 VNNI.
//!
//! candle's quantized product quantises the input to Q8_0 and runs one row × one column dot
//! product at a time, which on this model is several times slower than its f32 gemm. Here the
//! same arithmetic (weights exact 4-bit values with their per-block scale, the input rounded
//! to 8 bits per block of 32 with an f32 scale) runs as a blocked product: `vpdpbusd` adds four
//! byte products per 32-bit lane, sixteen output columns per register, and each block's integer
//! sums are scaled into f32 accumulators once per 32 inputs.
//!
//! The weights are repacked once, at load: for each tile of 16 output columns and each block,
//! eight groups of 64 bytes, one group holding 4 consecutive inputs of each of the 16 columns.
//! The stored 4-bit values (0..15, meaning value − 8) are used as they are, as the unsigned
//! operand; the input's block sum times 8 is subtracted from each block's integer sum.

use rayon::prelude::*;

/// Inputs per Q4_0 block.
const BLOCK: usize = 32;
/// Bytes of one Q4_0 block: an f16 scale, then 32 four-bit values.
const BLOCK_BYTES: usize = 18;
/// Output columns per tile: one register of 32-bit lanes.
const TILE: usize = 16;
/// Tiles per kernel call.
const TILES: usize = 2;
/// Rows per kernel call.
const ROWS: usize = 4;
/// Blocks per pass over a tile's weights (8 KB of weights for two tiles, kept in L1).
const BLOCKS_PER_PASS: usize = 8;
/// Rows per parallel task.
const TASK_ROWS: usize = 32;

/// A Q4_0 matrix `(out, in)` repacked for [`PackedQ4::product`].
pub struct PackedQ4 {
    out: usize,
    inp: usize,
    /// `[tile][block][group of 4 inputs][16 columns][4 inputs]`, the stored 4-bit values.
    weights: Vec<u8>,
    /// `[tile][block][16 columns]`, each block's scale.
    scales: Vec<f32>,
}

/// The input of a product, rounded to 8 bits per block.
struct QuantizedInput {
    /// `[row][in]`.
    values: Vec<i8>,
    /// `[row][block]`, the scale of each block.
    scales: Vec<f32>,
    /// `[row][block]`, 8 × the sum of each block's values (the offset of the stored weights).
    offsets: Vec<i32>,
}

impl PackedQ4 {
    /// Whether this CPU runs the packed product.
    pub fn available() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512vnni")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// Repacks the raw Q4_0 blocks of an `(out, in)` matrix (row after row); `None` when the
    /// shape does not fit the tiles (`out` a multiple of 32, `in` of 32).
    pub fn pack(blocks: &[u8], out: usize, inp: usize) -> Option<PackedQ4> {
        if !out.is_multiple_of(TILE * TILES) || !inp.is_multiple_of(BLOCK) || inp == 0 {
            return None;
        }
        let per_row = inp / BLOCK;
        if blocks.len() != out * per_row * BLOCK_BYTES {
            return None;
        }
        let tiles = out / TILE;
        let mut weights = vec![0u8; out * inp];
        let mut scales = vec![0f32; out * per_row];
        for row in 0..out {
            let (tile, column) = (row / TILE, row % TILE);
            for b in 0..per_row {
                let block = &blocks[(row * per_row + b) * BLOCK_BYTES..][..BLOCK_BYTES];
                scales[(tile * per_row + b) * TILE + column] =
                    half::f16::from_le_bytes([block[0], block[1]]).to_f32();
                let packed = &mut weights[(tile * per_row + b) * BLOCK * TILE..][..BLOCK * TILE];
                for i in 0..BLOCK {
                    // GGML order: the low nibbles are the first 16 values, the high ones the rest.
                    let byte = block[2 + i % 16];
                    let value = if i < 16 { byte & 0x0f } else { byte >> 4 };
                    packed[(i / 4) * TILE * 4 + column * 4 + i % 4] = value;
                }
            }
        }
        debug_assert_eq!(tiles * per_row * BLOCK * TILE, weights.len());
        Some(PackedQ4 {
            out,
            inp,
            weights,
            scales,
        })
    }

    /// `(out, in)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.out, self.inp)
    }

    /// The matrix as f32 values, `(out, in)` row-major: each 4-bit value minus 8, times its
    /// block's scale (exactly what dequantising the Q4_0 blocks gives).
    pub fn dequantize(&self) -> Vec<f32> {
        let per_row = self.inp / BLOCK;
        let mut values = vec![0f32; self.out * self.inp];
        for (row, values) in values.chunks_exact_mut(self.inp).enumerate() {
            let (tile, column) = (row / TILE, row % TILE);
            for (b, values) in values.chunks_exact_mut(BLOCK).enumerate() {
                let block = (tile * per_row + b) * BLOCK * TILE;
                let scale = self.scales[(tile * per_row + b) * TILE + column];
                for (i, v) in values.iter_mut().enumerate() {
                    let q = self.weights[block + (i / 4) * TILE * 4 + column * 4 + i % 4];
                    *v = scale * (f32::from(q) - 8.0);
                }
            }
        }
        values
    }

    /// `x · weightᵀ` for `x` of `rows × in` values, row-major; `rows × out` values.
    ///
    /// # Panics
    /// When `x` does not hold whole rows, or on a CPU without [`PackedQ4::available`].
    pub fn product(&self, x: &[f32]) -> Vec<f32> {
        assert!(
            Self::available(),
            "the packed Q4_0 product needs AVX-512 VNNI"
        );
        assert_eq!(x.len() % self.inp, 0, "input rows of {} values", self.inp);
        let rows = x.len() / self.inp;
        let input = quantize_input(x, self.inp);
        let mut out = vec![0f32; rows * self.out];
        out.par_chunks_mut(TASK_ROWS * self.out)
            .enumerate()
            .for_each(|(task, chunk)| self.rows_into(&input, task * TASK_ROWS, chunk));
        out
    }

    /// Fills `out` (whole output rows from `first`) from the quantized input.
    fn rows_into(&self, input: &QuantizedInput, first: usize, out: &mut [f32]) {
        let blocks = self.inp / BLOCK;
        let rows = out.len() / self.out;
        for tile in (0..self.out / TILE).step_by(TILES) {
            for start in (0..blocks).step_by(BLOCKS_PER_PASS) {
                let end = (start + BLOCKS_PER_PASS).min(blocks);
                let mut row = 0;
                while row < rows {
                    let take = (rows - row).min(ROWS);
                    let at = Span {
                        row: first + row,
                        tile,
                        blocks: start..end,
                    };
                    let out = &mut out[row * self.out..];
                    // SAFETY: `product` checked that the CPU has AVX-512 F and VNNI; the spans
                    // stay inside the packed weights, the input and `out` (whole rows).
                    unsafe {
                        match take {
                            4 => kernel::<4>(self, input, &at, out),
                            3 => kernel::<3>(self, input, &at, out),
                            2 => kernel::<2>(self, input, &at, out),
                            _ => kernel::<1>(self, input, &at, out),
                        }
                    }
                    row += take;
                }
            }
        }
    }
}

/// Rows `row..row + R` × tiles `tile..tile + TILES` over some blocks of the inputs.
struct Span {
    row: usize,
    tile: usize,
    blocks: std::ops::Range<usize>,
}

/// Rounds each block of 32 inputs to 8 bits, as GGML's Q8_0 does but with an f32 scale.
fn quantize_input(x: &[f32], inp: usize) -> QuantizedInput {
    let blocks = x.len() / BLOCK;
    let mut values = vec![0i8; x.len()];
    let mut scales = vec![0f32; blocks];
    let mut offsets = vec![0i32; blocks];
    let per_task = (inp / BLOCK) * TASK_ROWS;
    values
        .par_chunks_mut(per_task * BLOCK)
        .zip(scales.par_chunks_mut(per_task))
        .zip(offsets.par_chunks_mut(per_task))
        .zip(x.par_chunks(per_task * BLOCK))
        .for_each(|(((values, scales), offsets), x)| {
            for (((q, d), o), x) in values
                .chunks_exact_mut(BLOCK)
                .zip(scales.iter_mut())
                .zip(offsets.iter_mut())
                .zip(x.chunks_exact(BLOCK))
            {
                // SAFETY: `product` checked that the CPU has AVX-512 F; each slice is one block.
                let (scale, sum) = unsafe { quantize_block(x, q) };
                *d = scale;
                *o = 8 * sum;
            }
        });
    QuantizedInput {
        values,
        scales,
        offsets,
    }
}

/// Rounds one block of 32 inputs to `q` (to nearest, ties to even); returns the block's scale
/// and the sum of its values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn quantize_block(x: &[f32], q: &mut [i8]) -> (f32, i32) {
    use std::arch::x86_64::*;

    let low = _mm512_loadu_ps(x.as_ptr());
    let high = _mm512_loadu_ps(x.as_ptr().add(16));
    let amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(low), _mm512_abs_ps(high)));
    let scale = amax / 127.0;
    let inverse = _mm512_set1_ps(if scale == 0.0 { 0.0 } else { 1.0 / scale });
    let low = _mm512_cvtps_epi32(_mm512_mul_ps(low, inverse));
    let high = _mm512_cvtps_epi32(_mm512_mul_ps(high, inverse));
    let sum = _mm512_reduce_add_epi32(_mm512_add_epi32(low, high));
    _mm_storeu_si128(q.as_mut_ptr().cast(), _mm512_cvtepi32_epi8(low));
    _mm_storeu_si128(q.as_mut_ptr().add(16).cast(), _mm512_cvtepi32_epi8(high));
    (scale, sum)
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn quantize_block(_: &[f32], _: &mut [i8]) -> (f32, i32) {
    unreachable!("PackedQ4::available is false off x86-64")
}

/// Adds the products of `R` rows and two tiles over `span.blocks` into `out` (row-major, one
/// row of `out` values per input row, starting at the span's first row).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vnni")]
unsafe fn kernel<const R: usize>(
    packed: &PackedQ4,
    input: &QuantizedInput,
    span: &Span,
    out: &mut [f32],
) {
    use std::arch::x86_64::*;

    let blocks = packed.inp / BLOCK;
    let column = span.tile * TILE;
    let mut sums = [[_mm512_setzero_ps(); TILES]; R];
    for (r, sums) in sums.iter_mut().enumerate() {
        for (t, sum) in sums.iter_mut().enumerate() {
            *sum = _mm512_loadu_ps(out.as_ptr().add(r * packed.out + column + t * TILE));
        }
    }
    let weights = packed.weights.as_ptr();
    let x = input.values.as_ptr().add(span.row * packed.inp);
    for b in span.blocks.clone() {
        let mut dots = [[_mm512_setzero_si512(); TILES]; R];
        for g in 0..BLOCK / 4 {
            let w: [__m512i; TILES] = std::array::from_fn(|t| {
                let at = (((span.tile + t) * blocks + b) * BLOCK / 4 + g) * TILE * 4;
                _mm512_loadu_si512(weights.add(at).cast())
            });
            for (r, dots) in dots.iter_mut().enumerate() {
                let four = x.add(r * packed.inp + b * BLOCK + g * 4).cast::<i32>();
                let xs = _mm512_set1_epi32(four.read_unaligned());
                for (dot, w) in dots.iter_mut().zip(&w) {
                    *dot = _mm512_dpbusd_epi32(*dot, *w, xs);
                }
            }
        }
        let scales: [__m512; TILES] = std::array::from_fn(|t| {
            _mm512_loadu_ps(
                packed
                    .scales
                    .as_ptr()
                    .add(((span.tile + t) * blocks + b) * TILE),
            )
        });
        for r in 0..R {
            let at = (span.row + r) * blocks + b;
            let offset = _mm512_set1_epi32(*input.offsets.get_unchecked(at));
            let scale = _mm512_set1_ps(*input.scales.get_unchecked(at));
            for t in 0..TILES {
                let exact = _mm512_cvtepi32_ps(_mm512_sub_epi32(dots[r][t], offset));
                sums[r][t] = _mm512_fmadd_ps(exact, _mm512_mul_ps(scales[t], scale), sums[r][t]);
            }
        }
    }
    for (r, sums) in sums.iter().enumerate() {
        for (t, sum) in sums.iter().enumerate() {
            _mm512_storeu_ps(
                out.as_mut_ptr().add(r * packed.out + column + t * TILE),
                *sum,
            );
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn kernel<const R: usize>(_: &PackedQ4, _: &QuantizedInput, _: &Span, _: &mut [f32]) {
    unreachable!("PackedQ4::available is false off x86-64")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift), so the tests need no seed crate.
    struct Numbers(u64);

    impl Numbers {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        /// Uniform in `[-1, 1)`.
        fn unit(&mut self) -> f32 {
            (self.next() % 2000) as f32 / 1000.0 - 1.0
        }
    }

    /// Random Q4_0 blocks of an `(out, in)` matrix, and their dequantised values.
    fn matrix(numbers: &mut Numbers, out: usize, inp: usize) -> (Vec<u8>, Vec<f32>) {
        let mut bytes = Vec::new();
        let mut values = vec![0f32; out * inp];
        for row in 0..out {
            for b in 0..inp / BLOCK {
                let scale = half::f16::from_f32(0.002 + (numbers.next() % 100) as f32 * 1e-4);
                bytes.extend_from_slice(&scale.to_le_bytes());
                let nibbles: Vec<u8> = (0..16).map(|_| (numbers.next() & 0xff) as u8).collect();
                bytes.extend_from_slice(&nibbles);
                for i in 0..BLOCK {
                    let byte = nibbles[i % 16];
                    let q = if i < 16 { byte & 0x0f } else { byte >> 4 };
                    values[row * inp + b * BLOCK + i] = scale.to_f32() * (f32::from(q) - 8.0);
                }
            }
        }
        (bytes, values)
    }

    /// The same arithmetic one output at a time: each input block rounded to 8 bits with
    /// scale `amax / 127` (ties to even), exact integer dot products per block, then scaled.
    fn reference(x: &[f32], weights: &[f32], blocks: &[u8], out: usize, inp: usize) -> Vec<f32> {
        let rows = x.len() / inp;
        let per_row = inp / BLOCK;
        let mut y = vec![0f32; rows * out];
        for r in 0..rows {
            for c in 0..out {
                let mut sum = 0f64;
                for b in 0..per_row {
                    let xs = &x[r * inp + b * BLOCK..][..BLOCK];
                    let amax = xs.iter().fold(0f32, |m, v| m.max(v.abs()));
                    let scale = amax / 127.0;
                    let inverse = if scale == 0.0 { 0.0 } else { 1.0 / scale };
                    let block = &blocks[(c * per_row + b) * BLOCK_BYTES..][..BLOCK_BYTES];
                    let w_scale = half::f16::from_le_bytes([block[0], block[1]]).to_f32();
                    let dot: i64 = (0..BLOCK)
                        .map(|i| {
                            let q = (xs[i] * inverse).round_ties_even() as i64;
                            let w = (weights[c * inp + b * BLOCK + i] / w_scale).round() as i64;
                            q * w
                        })
                        .sum();
                    sum += f64::from(scale) * f64::from(w_scale) * dot as f64;
                }
                y[r * out + c] = sum as f32;
            }
        }
        y
    }

    #[test]
    fn packed_product_matches_the_same_arithmetic_done_one_output_at_a_time() {
        if !PackedQ4::available() {
            eprintln!("skipped: this CPU has no AVX-512 VNNI");
            return;
        }
        let mut numbers = Numbers(0x9e37_79b9_7f4a_7c15);
        // Row counts cover every kernel height, a partial task and several tasks; 288 inputs
        // make one full and one partial pass over the blocks.
        for (out, inp) in [(32, 32), (64, 288), (96, 384)] {
            let (blocks, weights) = matrix(&mut numbers, out, inp);
            let packed = PackedQ4::pack(&blocks, out, inp).unwrap();
            for rows in [1, 2, 3, 4, 5, 33, 70] {
                let mut x: Vec<f32> = (0..rows * inp).map(|_| numbers.unit()).collect();
                // A block of zeros has scale 0 and must give 0, not NaN.
                x[..BLOCK].fill(0.0);
                let got = packed.product(&x);
                let want = reference(&x, &weights, &blocks, out, inp);
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert!(
                        (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
                        "{out}×{inp}, {rows} rows, output {i}: {g} vs {w}"
                    );
                }
            }
        }
    }

    #[test]
    fn packed_product_stays_within_the_rounding_bound_of_the_f32_product() {
        if !PackedQ4::available() {
            eprintln!("skipped: this CPU has no AVX-512 VNNI");
            return;
        }
        let mut numbers = Numbers(17);
        let (out, inp, rows) = (64, 384, 9);
        let (blocks, weights) = matrix(&mut numbers, out, inp);
        let packed = PackedQ4::pack(&blocks, out, inp).unwrap();
        let x: Vec<f32> = (0..rows * inp).map(|_| 3.0 * numbers.unit()).collect();
        let got = packed.product(&x);
        for r in 0..rows {
            for c in 0..out {
                let (mut exact, mut bound) = (0f64, 0f64);
                for b in 0..inp / BLOCK {
                    let xs = &x[r * inp + b * BLOCK..][..BLOCK];
                    let half_step = xs.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0 / 2.0;
                    for (i, v) in xs.iter().enumerate() {
                        let w = weights[c * inp + b * BLOCK + i];
                        exact += f64::from(*v) * f64::from(w);
                        // Rounding moves each input by at most half a step of its block.
                        bound += f64::from(half_step) * f64::from(w.abs());
                    }
                }
                let g = f64::from(got[r * out + c]);
                assert!(
                    (g - exact).abs() <= bound * 1.001 + 1e-5,
                    "row {r}, column {c}: {g} vs {exact} (bound {bound})"
                );
            }
        }
    }

    #[test]
    fn packed_matrices_dequantise_to_their_blocks_values() {
        let mut numbers = Numbers(5);
        let (blocks, weights) = matrix(&mut numbers, 64, 96);
        let packed = PackedQ4::pack(&blocks, 64, 96).unwrap();
        assert_eq!(packed.dequantize(), weights);
    }

    #[test]
    fn shapes_that_do_not_tile_are_not_packed() {
        let blocks = |out: usize, inp: usize| vec![0u8; out * inp / BLOCK * BLOCK_BYTES];
        assert!(PackedQ4::pack(&blocks(32, 64), 32, 64).is_some());
        assert!(PackedQ4::pack(&blocks(48, 64), 48, 64).is_none());
        assert!(PackedQ4::pack(&blocks(32, 48), 32, 48).is_none());
        assert!(PackedQ4::pack(&blocks(32, 64)[1..], 32, 64).is_none());
    }
}
