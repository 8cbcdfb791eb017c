// DLA timing model: hand-computed layers on a toy profile (every number checkable on paper), then
// the calibration points of ../shared/soc-facts.md on the shipped profiles (ResNet-50 INT8 on one
// Orin DLA core at each power mode; the NVDLA primer's 2048-MAC and 64-MAC configurations).
#include "devices/dla/timing_model.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "devices/soc/dram_model.h"
#include "tests/devices/soc/resnet50_layers.h"

namespace edgeinfer::devices {
namespace {

// 8x8 MAC array at 1 GHz, 1 MiB CBUF, 1 GB/s DRAM all to the DLA, no overheads: one MAC-array
// cycle = 1 ns, one DRAM byte = 1 ns.
constexpr const char* kToyYaml = R"(
name: toy
cpu: {cores: 0}
gpu: {present: false}
dla:
  cores: 1
  atomic_c: 8
  atomic_k: 8
  max_clock_hz: 1.0e9
  conv_buffer_bytes: 1048576
  sram_bytes_per_core: 65536
  sram_bytes_per_clock: 4
  precisions: [int8, fp16]
  fp16_rate_divisor: 2
  native_formats: {int8: CHW8, fp16: CHW8}
  limits: {kernel_min: 1, kernel_max: 32, stride_min: 1, stride_max: 8, pad_max: 31, dilation_min: 1,
           dilation_max: 32, pool_window_min: 1, pool_window_max: 8, max_dim: 8192, max_batch: 16,
           int8_group_channel_multiple: 4, max_loadables_per_core: 16, ops: [Conv], activations: [Relu]}
  sdp_elements_per_clock: 8
  pdp_elements_per_clock: 8
  layer_overhead_cycles: 0
  task_overhead_s: 0
  dram_bandwidth_share: 1.0
dram: {type: test, fixed_bandwidth_bytes_per_s: 1.0e9, latency_s: 0, efficiency: 1.0}
power: {soc_static_w: 0, gpu_static_w: 0, dla_static_w: 0, cpu_static_w: 0, gpu_j_per_mac_int8: 0,
        gpu_j_per_mac_fp16: 0, dla_j_per_mac_int8: 0, dla_j_per_mac_fp16: 0, dram_j_per_byte: 0, sram_j_per_byte: 0}
)";

SocProfile Toy() {
  auto p = ParseSocProfile(kToyYaml, "toy.yaml");
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.value();
}

TEST(DlaTimingModel, AlignedConvIsMemoryBoundByHand) {
  // C=K=16, 8x8, 3x3 pad 1: 2 C-atoms x 2 K-atoms x 9 taps x 64 pixels = 2304 cycles, all useful.
  const SocProfile soc = Toy();
  LayerWork w = ConvWork("c", 1, 16, 8, 8, 16, 3, 3, 1, 1, 1);
  auto t = DlaLayerTiming(soc, w);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_DOUBLE_EQ(t->mac_cycles, 2304);
  EXPECT_DOUBLE_EQ(t->mac_utilization, 1.0);
  EXPECT_DOUBLE_EQ(t->sdp_cycles, 16 * 64 / 8.0);
  EXPECT_NEAR(t->compute_s, 2304e-9, 1e-15);
  // Bytes: input 1024 + weights 2304 + output 1024 = 4352 B at 1 GB/s.
  EXPECT_EQ(t->input_dram_bytes, 1024);
  EXPECT_EQ(t->weight_dram_bytes, 2304);
  EXPECT_EQ(t->output_dram_bytes, 1024);
  EXPECT_NEAR(t->memory_s, 4352e-9, 1e-15);
  EXPECT_EQ(t->bound, Bound::kMemory);
  EXPECT_NEAR(t->total_s, 4352e-9, 1e-15);
}

TEST(DlaTimingModel, InputFetchPrecedesCompute) {
  // The sequencer starts only with the whole input in the CBUF, so the input fetch adds to compute.
  // C=K=64, 16x16, 3x3 pad 1: 8 C-atoms x 8 K-atoms x 9 taps x 256 pixels = 147456 cycles (ns).
  // Input 64*16*16 = 16384 B (16384 ns at 1 GB/s), weights 36864 B, output 16384 B: memory 69632 ns.
  // Time = max(16384 + 147456, 69632) = 163840 ns (compute-bound, but not hidden under the input).
  const SocProfile soc = Toy();
  auto t = DlaLayerTiming(soc, ConvWork("c", 1, 64, 16, 16, 64, 3, 3, 1, 1, 1));
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_DOUBLE_EQ(t->mac_cycles, 147456);
  EXPECT_NEAR(t->input_load_s, 16384e-9, 1e-15);
  EXPECT_NEAR(t->memory_s, 69632e-9, 1e-15);
  EXPECT_NEAR(t->total_s, 163840e-9, 1e-15);
  EXPECT_EQ(t->bound, Bound::kCompute);
  // From SRAM (4 B/ns) the same input takes 4096 ns: 151552 ns.
  LayerWork s = ConvWork("s", 1, 64, 16, 16, 64, 3, 3, 1, 1, 1);
  s.input_in_sram = true;
  auto ts = DlaLayerTiming(soc, s);
  ASSERT_TRUE(ts.ok());
  EXPECT_NEAR(ts->input_load_s, 4096e-9, 1e-15);
  EXPECT_NEAR(ts->total_s, 151552e-9, 1e-15);
  // A pool has no CBUF: its input streams (no exposed fetch).
  LayerWork pool = ConvWork("p", 1, 64, 16, 16, 64, 1, 1, 1, 0, 1);
  pool.kind = LayerKind::kPool;
  pool.R = pool.S = 2;
  auto tp = DlaLayerTiming(soc, pool);
  ASSERT_TRUE(tp.ok());
  EXPECT_EQ(tp->input_load_s, 0);
}

TEST(DlaTimingModel, ChannelPaddingAndImageInputExtension) {
  const SocProfile soc = Toy();
  // K=12 pads to 16: utilisation 12/16.
  auto k12 = DlaLayerTiming(soc, ConvWork("k12", 1, 16, 8, 8, 12, 3, 3, 1, 1, 1));
  ASSERT_TRUE(k12.ok());
  EXPECT_DOUBLE_EQ(k12->mac_cycles, 2 * 2 * 9 * 64);
  EXPECT_DOUBLE_EQ(k12->mac_utilization, 12.0 / 16.0);
  // C=3 < atomic-C: the 3 horizontal taps fold into the atom: ceil(3*3/8)=2 atoms x 3 rows x 64 px.
  auto c3 = DlaLayerTiming(soc, ConvWork("c3", 1, 3, 8, 8, 8, 3, 3, 1, 1, 1));
  ASSERT_TRUE(c3.ok());
  EXPECT_DOUBLE_EQ(c3->mac_cycles, 2 * 1 * 3 * 64);
  EXPECT_DOUBLE_EQ(c3->mac_utilization, (8.0 * 3 * 9 * 64) / (384.0 * 64));
  // Depthwise, 16 groups of 1 channel: 8 groups share one 8x8 block on its diagonal, so 2 blocks
  // x 9 taps x 64 pixels; 1/8 of the array is useful.
  auto dw = DlaLayerTiming(soc, ConvWork("dw", 1, 16, 8, 8, 16, 3, 3, 1, 1, 1, /*groups=*/16));
  ASSERT_TRUE(dw.ok());
  EXPECT_DOUBLE_EQ(dw->mac_cycles, 2.0 * 9 * 64);
  EXPECT_DOUBLE_EQ(dw->mac_utilization, 1.0 / 8);
  // Groups of 4 channels -> 2 groups per block (8/4): 4 groups -> 2 blocks.
  auto g4 = DlaLayerTiming(soc, ConvWork("g4", 1, 16, 8, 8, 16, 1, 1, 1, 0, 1, /*groups=*/4));
  ASSERT_TRUE(g4.ok());
  EXPECT_DOUBLE_EQ(g4->mac_cycles, 2.0 * 64);
}

TEST(DlaTimingModel, ShortStripeStallsOnWeightLoad) {
  // 2x2 output = 4 pixels per block, but loading a block's weights takes atomic-K = 8 clocks.
  auto t = DlaLayerTiming(Toy(), ConvWork("small", 1, 8, 2, 2, 8, 1, 1, 1, 0, 1));
  ASSERT_TRUE(t.ok());
  EXPECT_DOUBLE_EQ(t->mac_cycles, 8);
  EXPECT_DOUBLE_EQ(t->mac_utilization, 0.5);
}

TEST(DlaTimingModel, Fp16RunsAtTheDividedRate) {
  auto t = DlaLayerTiming(Toy(), ConvWork("h", 1, 16, 8, 8, 16, 3, 3, 1, 1, 2));
  ASSERT_TRUE(t.ok());
  EXPECT_DOUBLE_EQ(t->mac_cycles, 2 * 2304);
  EXPECT_EQ(t->input_dram_bytes, 2048);
}

TEST(DlaTimingModel, BatchReusesResidentWeights) {
  // Batch 4: compute and activations x4, weights once.
  auto t = DlaLayerTiming(Toy(), ConvWork("b", 4, 16, 8, 8, 16, 3, 3, 1, 1, 1));
  ASSERT_TRUE(t.ok());
  EXPECT_DOUBLE_EQ(t->mac_cycles, 4 * 2304);
  EXPECT_EQ(t->weight_dram_bytes, 2304);
  EXPECT_EQ(t->input_dram_bytes, 4 * 1024);
  EXPECT_TRUE(t->weights_resident);
}

TEST(DlaTimingModel, SmallConvBufferRereadsInputPerWeightChunk) {
  // 6 KiB CBUF, 1x1 conv C=64 -> K=128 on 2x16: rows are 1 KiB (input 2 KiB); the 8 KiB of weights
  // (16 kernel groups of 8 x 64 = 512 B) never fit. Over sixteenths (384 B): one row of data
  // (3-5/16) cuts the input into 2 stripes and leaves 8-9 groups: 2 chunks, 2 x 2048 + 2 x 8192 =
  // 20480 B; both rows (6-8/16) leave 6-7 groups: 3 chunks, one stripe: 3 x 2048 + 8192 = 14336 B,
  // the cheapest; 9/16 leaves 5 groups: 4 chunks, 16384 B.
  SocProfile soc = Toy();
  soc.dla.conv_buffer_bytes = 6144;
  auto t = DlaLayerTiming(soc, ConvWork("tile", 1, 64, 2, 16, 128, 1, 1, 1, 0, 1));
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->weights_resident);
  EXPECT_DOUBLE_EQ(t->input_read_factor, 3.0);
  EXPECT_DOUBLE_EQ(t->weight_read_factor, 1.0);
  EXPECT_EQ(t->input_dram_bytes + t->weight_dram_bytes, 14336);
}

TEST(DlaTimingModel, StripesAndChunksReloadBothOperands) {
  // 4 KiB CBUF, 1x1 conv C=K=64 on 16x16: rows are 1 KiB, input 16 KiB, weights 4 KiB in 8 kernel
  // groups of 512 B. Neither fits, so every (chunk, stripe) operation loads its own input stripe and
  // weight chunk: input x chunks + weights x stripes (the primer's two multipliers). Over sixteenths
  // of 256 B: data < 1 KiB holds no row; 4-7/16 -> 1-row stripes (16), 2 chunks: 32768 + 65536;
  // 8/16 -> 2-row stripes (8), weight part 2 KiB = 4 groups -> 2 chunks: 32768 + 32768 = 65536;
  // 9/16 -> 8 stripes, 3 chunks: 49152 + 32768; 12/16 -> 3-row stripes (6), 4 chunks: 65536 + 24576.
  // The cheapest is 8/16: input read twice, weights 8 times, 65536 B.
  SocProfile soc = Toy();
  soc.dla.conv_buffer_bytes = 4096;
  auto t = DlaLayerTiming(soc, ConvWork("tile", 1, 64, 16, 16, 64, 1, 1, 1, 0, 1));
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->weights_resident);
  EXPECT_DOUBLE_EQ(t->input_read_factor, 2.0);
  EXPECT_DOUBLE_EQ(t->weight_read_factor, 8.0);
  EXPECT_EQ(t->input_dram_bytes + t->weight_dram_bytes, 65536);
}

TEST(DlaTimingModel, StripesReReadHaloRows) {
  // 3x3 stride 1 on 16 rows of 1 KiB with 8 KiB for data: stripes of 8 input rows give 6 output
  // rows; ceil(16/6) = 3 stripes, each after the first re-reads R - stride = 2 rows.
  SocProfile soc = Toy();
  soc.dla.conv_buffer_bytes = 16384;
  LayerWork w = ConvWork("halo", 1, 64, 16, 16, 8, 3, 3, 1, 1, 1);   // weights 8*64*9 = 4608 B
  auto t = DlaLayerTiming(soc, w);
  ASSERT_TRUE(t.ok());
  // The cheapest split keeps all weights (4608 B <= 16384 - data) and the largest stripe that
  // fits: data = 11/16 of 16 KiB = 11 KiB -> 11 rows -> 9 output rows per stripe -> 2 stripes,
  // one halo of 2 rows: input 16384 + 2048 = 18432 B.
  EXPECT_TRUE(t->weights_resident);
  EXPECT_EQ(t->input_dram_bytes, 18432);
}

TEST(DlaTimingModel, FusedPoolAndResidualAndSram) {
  SocProfile soc = Toy();
  LayerWork w = ConvWork("p", 1, 8, 8, 8, 8, 1, 1, 1, 0, 1);
  FusePool(&w, 2, 2, 0);
  w.has_residual = true;
  w.FillBytes();
  EXPECT_EQ(w.output_bytes, 8 * 4 * 4);
  EXPECT_EQ(w.residual_bytes, 8 * 8 * 8);
  w.input_in_sram = true;
  auto t = DlaLayerTiming(soc, w);
  ASSERT_TRUE(t.ok());
  EXPECT_DOUBLE_EQ(t->pdp_cycles, 512 / 8.0);
  EXPECT_EQ(t->input_dram_bytes, 0);
  EXPECT_EQ(t->sram_bytes, 512);
  EXPECT_EQ(t->residual_dram_bytes, 512);
  EXPECT_EQ(t->output_dram_bytes, 128);
  // DRAM: 64 weights + 512 residual + 128 out = 704 B = 704 ns; SRAM 512 B at 4 B/ns = 128 ns.
  EXPECT_NEAR(t->dram_s, 704e-9, 1e-15);
  EXPECT_NEAR(t->sram_s, 128e-9, 1e-15);
  EXPECT_NEAR(t->memory_s, 704e-9, 1e-15);
}

TEST(DlaTimingModel, OverheadAndShareOverride) {
  SocProfile soc = Toy();
  soc.dla.layer_overhead_cycles = 1000;
  soc.dram.latency_s = 1e-6;
  LayerWork w = ConvWork("c", 1, 16, 8, 8, 16, 3, 3, 1, 1, 1);
  DlaTimingOptions half;
  half.dram_bandwidth_bytes_per_s = 0.5e9;
  auto t = DlaLayerTiming(soc, w, half);
  ASSERT_TRUE(t.ok());
  EXPECT_NEAR(t->overhead_s, 2e-6, 1e-15);
  EXPECT_NEAR(t->total_s, 2 * 4352e-9 + 2e-6, 1e-15);
}

TEST(DlaTimingModel, Refusals) {
  SocProfile soc = Toy();
  LayerWork f32 = ConvWork("f", 1, 8, 8, 8, 8, 1, 1, 1, 0, 4);
  auto a = DlaLayerTiming(soc, f32);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("precision fp32"), std::string::npos) << a.status().message();
  LayerWork other = ConvWork("o", 1, 8, 8, 8, 8, 1, 1, 1, 0, 1);
  other.kind = LayerKind::kOther;
  EXPECT_FALSE(DlaLayerTiming(soc, other).ok());
  soc.dla.sram_bytes_per_core = 0;
  LayerWork s = ConvWork("s", 1, 8, 8, 8, 8, 1, 1, 1, 0, 1);
  s.output_in_sram = true;
  auto b = DlaLayerTiming(soc, s);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("no DLA SRAM"), std::string::npos);
}

// ---- Calibration (../shared/soc-facts.md) -------------------------------------------------------

double ResNet50DlaImagesPerSec(const std::string& profile, const std::string& mode, int64_t batch, bool chain,
                               bool print) {
  auto loaded = LoadSocProfile(profile);
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  if (!loaded.ok()) return 0;
  auto soc = ApplyPowerMode(loaded.value(), mode);
  EXPECT_TRUE(soc.ok()) << soc.status().message();
  std::vector<LayerWork> layers = testing::ResNet50Layers(batch, 1);
  if (chain) testing::ChainSram(&layers, soc->dla.sram_default_bytes > 0 ? soc->dla.sram_default_bytes : soc->dla.sram_bytes_per_core);
  auto t = DlaNetworkTiming(soc.value(), layers, batch);
  EXPECT_TRUE(t.ok()) << t.status().message();
  if (!t.ok()) return 0;
  if (print) std::printf("%s %s batch %lld:\n%s", profile.c_str(), mode.c_str(), static_cast<long long>(batch),
                         FormatDlaNetworkTime(t.value()).c_str());
  return t->ImagesPerSecond();
}

TEST(DlaTimingCalibration, ResNet50LayerListMatchesTheModel) {
  int64_t macs = 0, weights = 0;
  for (const auto& w : testing::ResNet50Layers(1, 1)) {
    macs += w.Macs();
    weights += w.weight_bytes;
  }
  EXPECT_NEAR(macs / 1e9, 4.09, 0.02);        // torchvision ResNet-50: 4.09 GMAC
  EXPECT_NEAR(weights / 1e6, 25.5, 0.1);      // 25.5 M weights (biases folded, not counted)
}

TEST(DlaTimingCalibration, OrinOneDlaResNet50Int8PerPowerMode) {
  // soc-facts.md: both DLAs, batch 2: 2037 / 1948 / 1928 / 1072 img/s at MAXN / 50W / 30W / 15W.
  // One core is half of that (the two cores run the same engine side by side; the test models one
  // core alone at its DRAM ceiling, which the pair does not exceed at these rates).
  const struct { const char* mode; double both; } points[] = {{"MAXN", 2037}, {"50W", 1948}, {"30W", 1928}, {"15W", 1072}};
  for (const auto& p : points) {
    const double ips = ResNet50DlaImagesPerSec("orin-agx", p.mode, 2, true, std::string(p.mode) == "MAXN");
    const double ref = p.both / 2;
    std::printf("CALIBRATION orin-agx %-4s one DLA ResNet-50 INT8 batch 2: predicted %.1f img/s, published %.1f (%+.1f%%)\n",
                p.mode, ips, ref, 100 * (ips / ref - 1));
    EXPECT_GT(ips, ref * 0.85) << p.mode;
    EXPECT_LT(ips, ref * 1.15) << p.mode;
  }
}

TEST(DlaTimingHeldOut, NvdlaPrimerOtherRows) {
  // The primer's other rows are NOT calibration points: the nvdla-large profile with the row's MAC
  // array, CBUF and bandwidth (atomic sizes assumed: C = min(64, MACs/8) ...), predicted, printed
  // for docs/timing-model.md. Asserted against the roofline bound of each configuration and, as a
  // regression guard only, against the primer's figure +-15%.
  auto base = LoadSocProfile("nvdla-large");
  ASSERT_TRUE(base.ok()) << base.status().message();
  const struct { int macs, ac, ak; int64_t cbuf_kb; double gbps, fps; } rows[] = {
      {1024, 64, 16, 256, 15, 153}, {512, 32, 16, 256, 10, 93}, {256, 32, 8, 256, 5, 46},
      {128, 16, 8, 256, 2, 20},     {32, 8, 4, 128, 0.5, 3.6}};
  for (const auto& r : rows) {
    SocProfile soc = base.value();
    soc.dla.atomic_c = r.ac;
    soc.dla.atomic_k = r.ak;
    soc.dla.conv_buffer_bytes = r.cbuf_kb * 1024;
    soc.dram.fixed_bandwidth_bytes_per_s = r.gbps * 1e9;
    auto t = DlaNetworkTiming(soc, testing::ResNet50Layers(1, 1), 1);
    ASSERT_TRUE(t.ok()) << t.status().message();
    std::printf("HELD-OUT nvdla %4d MACs %3lld KB %4.1f GB/s: predicted %6.1f fps, primer %6.1f (%+.0f%%)\n", r.macs,
                static_cast<long long>(r.cbuf_kb), r.gbps, t->ImagesPerSecond(), r.fps, 100 * (t->ImagesPerSecond() / r.fps - 1));
    EXPECT_LT(t->ImagesPerSecond(), r.macs * 1e9 / 4.09e9);
    // Published figures the model was not fitted to: a regression guard at the issue's band.
    EXPECT_GT(t->ImagesPerSecond(), r.fps * 0.85) << r.macs << " MACs";
    EXPECT_LT(t->ImagesPerSecond(), r.fps * 1.15) << r.macs << " MACs";
  }
}

TEST(DlaTimingCalibration, NvdlaPrimerLargeResNet50) {
  // NVDLA primer: 2048 MACs / 512 KB / 20 GB/s -> 269 fps (INT8, 1 GHz, no SRAM, batch 1).
  const double ips = ResNet50DlaImagesPerSec("nvdla-large", "", 1, false, true);
  std::printf("CALIBRATION nvdla-large ResNet-50 INT8 batch 1: predicted %.2f fps, primer 269 (%+.1f%%)\n", ips,
              100 * (ips / 269 - 1));
  EXPECT_GT(ips, 269 * 0.85);
  EXPECT_LT(ips, 269 * 1.15);
}

TEST(DlaTimingCalibration, NvdlaPrimerSmallResNet50) {
  // NVDLA primer: 64 MACs / 128 KB / 1 GB/s -> 7.3 fps (INT8, 1 GHz, no SRAM, batch 1). The
  // 64-MAC array (64 GMAC/s) cannot beat its compute bound of 64e9 / 4.09e9 = 15.6 fps.
  const double ips = ResNet50DlaImagesPerSec("nvdla-small", "", 1, false, true);
  std::printf("CALIBRATION nvdla-small ResNet-50 INT8 batch 1: predicted %.2f fps, primer 7.3 (%+.1f%%)\n", ips,
              100 * (ips / 7.3 - 1));
  EXPECT_LT(ips, 64e9 / 4.09e9);
  EXPECT_GT(ips, 7.3 * 0.85);
  EXPECT_LT(ips, 7.3 * 1.15);
}

}  // namespace
}  // namespace edgeinfer::devices
