using System.Diagnostics;
using System.Text.Json;
using Runner.Sweeps;
using Runner.Training.Data;
using Runner.Training.Engine;
using static TorchSharp.torch;

using Runner.Cli;

namespace Runner.Bench;

/// <summary>
/// `runner-bench frozen-sweep`: the freeze-depth × learning-rate × dataset-size grid of a sweep file (one seed), run
/// trial after trial in this process with frozen-prefix reuse on, then off, then as a plain PyTorch loop
/// (bench/transfer_grid_torch.py). The base is pretrained once beforehand and timed apart, as is the peer's.
/// </summary>
public sealed class FrozenSweepBench(CliContext context)
{
    public sealed record Options(string SweepFile, int? Epochs, int Threads, string? Data, string Python);

    public int Run(Options o) => BenchFolder.Use("frozen", folder => Run(o, folder));

    int Run(Options o, string folder)
    {
        var definition = SweepLoader.Load(o.SweepFile, o.Data, Console.Error);
        var all = SweepExpander.Expand(definition);
        int seed = all.Min(t => t.Seed);
        var trials = all.Where(t => t.Seed == seed).Select(t => o.Epochs is { } e ? t with { Epochs = e } : t).ToList();
        var pretrain = trials.FirstOrDefault(t => t.Pretrain != null)?.Pretrain
                       ?? throw new UsageException($"{o.SweepFile}: the frozen-sweep benchmark needs a base with pretraining");
        string data = DataLocator.Locate(o.Data, definition.Target.DataDir, allowDownload: false);
        int heads = trials.Max(t => t.FreezeDepth);
        context.Out.WriteLine($"frozen-sweep: {trials.Count} trials of {o.SweepFile} (seed {seed}, {trials[0].Epochs} epochs), {o.Threads} thread(s), data {data}, state {folder}");

        TorchRuntime.EnsureLoaded();
        TorchRuntime.SetThreads(o.Threads);
        var store = new DerivedFiles(Path.Combine(folder, "artifacts"));
        var clock = Stopwatch.StartNew();
        var images = FashionMnist.Load(data);
        var baseModel = PretrainedBases.GetOrTrain(store, trials[0].Model, pretrain, images, CPU, null, CancellationToken.None);
        double pretrainSeconds = clock.Elapsed.TotalSeconds;
        context.Out.WriteLine($"  base pretrained in {pretrainSeconds:F1} s");
        // The feature caches, one per frozen depth, are built once for the whole grid: timed apart like pretraining.
        clock.Restart();
        long targetImages = definition.Target.Classes.Sum(c => images.Train.IndicesOf(c).Count + images.Test.IndicesOf(c).Count);
        foreach (var t in trials.Where(t => t.FrozenFeaturesKey != null).DistinctBy(t => t.FreezeDepth)
                     .Where(t => FeatureCache.SizeOf(baseModel, t.FreezeDepth, images.Train, targetImages) <= FeatureCache.MaxEntryBytes))
            new FeatureCache(store).GetOrCompute(FeatureCache.KeyFor(t, images)!, baseModel, t.FreezeDepth, images,
                definition.Target.Classes, CPU, null, FeatureCache.KeysAtDepths(t, images)).Dispose();
        baseModel.Network.Dispose();
        double cacheSeconds = clock.Elapsed.TotalSeconds;
        context.Out.WriteLine($"  feature caches built in {cacheSeconds:F1} s");

        var on = RunAll(trials, store, data, o.Threads, reuse: true, heads);
        var off = RunAll(trials, store, data, o.Threads, reuse: false, heads);
        context.Out.WriteLine(FormattableString.Invariant($"  Runner, reuse on:  {on.Seconds:F1} s + {cacheSeconds:F1} s of caches (head-only trials {on.HeadOnly:F1} s), mean test accuracy {on.Accuracy:P2}"));
        context.Out.WriteLine(FormattableString.Invariant($"  Runner, reuse off: {off.Seconds:F1} s (head-only trials {off.HeadOnly:F1} s), mean test accuracy {off.Accuracy:P2}"));
        // Where the time goes: trials that reuse nothing (freeze 0, scratch) bound what reuse can gain.
        context.Out.WriteLine("  by group, reuse on / off: " + string.Join(", ",
            on.ByGroup.Select(g => FormattableString.Invariant($"{g.Key} {g.Value:F1} / {off.ByGroup[g.Key]:F1} s"))));

        double? peerSeconds = null, peerPretrain = null, peerAccuracy = null;
        if (o.Python != "none")
        {
            string gridFile = Path.Combine(folder, "trials.json");
            File.WriteAllText(gridFile, PeerGrid(trials, pretrain, definition.Target));
            if (PythonPeer.Run(o.Python, context, Path.Combine(AppContext.BaseDirectory, "bench", "transfer_grid_torch.py"),
                    "--data", data, "--trials", gridFile, "--threads", o.Threads.ToString()) is { } line)
            {
                using var doc = JsonDocument.Parse(line);
                peerSeconds = doc.RootElement.GetProperty("trials_seconds").GetDouble();
                peerPretrain = doc.RootElement.GetProperty("pretrain_seconds").GetDouble();
                peerAccuracy = doc.RootElement.GetProperty("mean_test_accuracy").GetDouble();
                context.Out.WriteLine(FormattableString.Invariant($"  PyTorch loop:      {peerSeconds:F1} s (its pretraining {peerPretrain:F1} s), mean test accuracy {peerAccuracy:P2}"));
            }
        }
        context.Out.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "frozen-sweep", trials = trials.Count, epochs = trials[0].Epochs, threads = o.Threads, pretrain_seconds = pretrainSeconds,
            cache_seconds = cacheSeconds, reuse_on_seconds = on.Seconds, reuse_off_seconds = off.Seconds,
            reuse_on_seconds_by_group = on.ByGroup, reuse_off_seconds_by_group = off.ByGroup, head_only_on_seconds = on.HeadOnly, head_only_off_seconds = off.HeadOnly,
            pytorch_seconds = peerSeconds, pytorch_pretrain_seconds = peerPretrain,
            head_only_speedup = off.HeadOnly / on.HeadOnly, reuse_speedup = off.Seconds / (on.Seconds + cacheSeconds),
            vs_pytorch = peerSeconds / (on.Seconds + cacheSeconds),
            mean_test_accuracy_on = on.Accuracy, mean_test_accuracy_off = off.Accuracy, mean_test_accuracy_pytorch = peerAccuracy,
        }, JsonOutput.Options));
        // The whole grid with reuse pays for its caches; the head-only ratio compares the trials themselves.
        double grid = on.Seconds + cacheSeconds;
        string vsPeer = peerSeconds == null ? "" : FormattableString.Invariant($", {peerSeconds / grid:F1}x faster than the PyTorch loop");
        context.Out.WriteLine(FormattableString.Invariant(
            $"  head-only trials {off.HeadOnly / on.HeadOnly:F1}x faster with reuse; whole grid (caches included) {off.Seconds / grid:F1}x faster with reuse") + vsPeer);
        return 0;
    }

    /// <param name="ByGroup">seconds of the trials of each freeze depth ("freeze 2") and of the scratch ones, in plan order</param>
    sealed record Pass(double Seconds, double HeadOnly, double Accuracy, IReadOnlyDictionary<string, double> ByGroup);

    static string GroupOf(TrialSpec t) => t.Initialization == Initialization.Pretrained ? $"freeze {t.FreezeDepth}" : EnumText.Of(t.Initialization);

    static Pass RunAll(IReadOnlyList<TrialSpec> trials, DerivedFiles store, string data, int threads, bool reuse, int headOnlyDepth)
    {
        var env = new TrialEnvironment(store, data, null, "cpu", threads, AllowDownload: false, ReuseFeatures: reuse);
        double total = 0, headOnly = 0, accuracy = 0;
        var byGroup = new Dictionary<string, double>();
        foreach (var spec in trials)
        {
            var clock = Stopwatch.StartNew();
            var result = TrialRunner.Run(spec, env);
            double seconds = clock.Elapsed.TotalSeconds;
            total += seconds;
            byGroup[GroupOf(spec)] = byGroup.GetValueOrDefault(GroupOf(spec)) + seconds;
            if (spec.Initialization == Initialization.Pretrained && spec.FreezeDepth == headOnlyDepth) headOnly += seconds;
            accuracy += result.TestAccuracy ?? 0;
        }
        return new Pass(total, headOnly, accuracy / trials.Count, byGroup);
    }

    static string PeerGrid(IReadOnlyList<TrialSpec> trials, PretrainSpec pretrain, TargetSpec target) => JsonSerializer.Serialize(new
    {
        pretrain = new { classes = pretrain.Classes, epochs = pretrain.Epochs, lr = pretrain.LearningRate, seed = pretrain.Seed, batch_size = pretrain.BatchSize, optimizer = pretrain.Optimizer },
        target_classes = target.Classes,
        validation_per_class = target.ValidationPerClass,
        trials = trials.Select(t => new
        {
            initialization = EnumText.Of(t.Initialization), freeze_depth = t.FreezeDepth, lr = t.LearningRate, dataset_size = t.DatasetSize, epochs = t.Epochs,
            batch_size = t.BatchSize, optimizer = t.Optimizer, weight_decay = t.WeightDecay, momentum = t.Momentum, seed = t.Seed,
        }),
    });
}
