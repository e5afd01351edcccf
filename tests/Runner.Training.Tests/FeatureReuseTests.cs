using Runner.Sweeps;
using Runner.Training.Engine;

namespace Runner.Training.Tests;

[Collection("torch")]
public class FeatureReuseTests(SharedArtifacts shared)
{
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Training_on_cached_frozen_prefix_features_gives_the_same_metrics_as_the_full_network(int depth)
    {
        var spec = TestData.SmallTrial(freezeDepth: depth, seed: 3, epochs: 2, lr: 3e-3);
        var log = new List<string>();
        var reused = TrialRunner.Run(spec, TestData.Environment(shared.Folder, log));
        var full = TrialRunner.Run(spec, TestData.Environment(shared.Folder) with { ReuseFeatures = false });

        Assert.Equal(TrialStatus.Completed, reused.Status);
        Assert.Equal(full.TrainableParameters, reused.TrainableParameters);
        for (int e = 0; e < full.Epochs.Count; e++)
        {
            Assert.Equal(full.Epochs[e].TrainLoss, reused.Epochs[e].TrainLoss, 4);
            Assert.Equal(full.Epochs[e].ValAccuracy, reused.Epochs[e].ValAccuracy, 2);
        }
        Assert.Equal(full.TestAccuracy!.Value, reused.TestAccuracy!.Value, 2);
    }

    [Fact]
    public void Features_are_computed_once_per_base_and_depth_and_shared_by_seeds_sizes_and_learning_rates()
    {
        string artifacts = ScratchFolders.New("features");
        var log = new List<string>();
        var env = TestData.Environment(artifacts, log);
        TrialRunner.Run(TestData.SmallTrial(freezeDepth: 3, seed: 1), env);
        TrialRunner.Run(TestData.SmallTrial(freezeDepth: 3, seed: 2, lr: 1e-2), env);
        TrialRunner.Run(TestData.SmallTrial(freezeDepth: 3, seed: 1) with { DatasetSize = 50 }, env);
        Assert.Single(log, m => m.StartsWith("computing frozen-prefix features (depth 3)", StringComparison.Ordinal));

        // Another freeze depth, or another base (a changed pretraining), makes another entry.
        TrialRunner.Run(TestData.SmallTrial(freezeDepth: 4, seed: 1), env);
        TrialRunner.Run(TestData.SmallTrial(freezeDepth: 3, seed: 1) with { Pretrain = TestData.Pretrain with { Seed = 5 } }, env);
        Assert.Equal(3, log.Count(m => m.StartsWith("computing frozen-prefix features", StringComparison.Ordinal)));
        Assert.Equal(6, Directory.GetFiles(Path.Combine(artifacts, "features"), "*.dat").Length);
    }

    [Fact]
    public void A_damaged_feature_cache_is_detected_and_computed_again()
    {
        string artifacts = ScratchFolders.New("features-damaged");
        var log = new List<string>();
        var env = TestData.Environment(artifacts, log);
        var spec = TestData.SmallTrial(freezeDepth: 4, seed: 1);
        var first = TrialRunner.Run(spec, env);
        string train = Directory.GetFiles(Path.Combine(artifacts, "features"), "*.train.dat").Single();
        var bytes = File.ReadAllBytes(train);
        bytes[^10] ^= 0xff;
        File.WriteAllBytes(train, bytes);

        var second = TrialRunner.Run(spec, env);
        Assert.Contains(log, m => m.Contains("is damaged or incomplete: computing it again"));
        Assert.Equal(first.TestAccuracy, second.TestAccuracy);
    }

    [Fact]
    public void The_cache_stays_under_its_size_bound_by_evicting_the_least_recently_used_entry()
    {
        string artifacts = ScratchFolders.New("features-lru");
        var store = new DerivedFiles(artifacts);
        var env = TestData.Environment(artifacts);
        TrialRunner.Run(TestData.SmallTrial(freezeDepth: 4, seed: 1), env);
        TrialRunner.Run(TestData.SmallTrial(freezeDepth: 3, seed: 1), env);
        long depth3 = Directory.GetFiles(Path.Combine(artifacts, "features"), "*.dat").Max(f => new FileInfo(f).Length);
        var files = Directory.GetFiles(Path.Combine(artifacts, "features"), "*.dat").OrderBy(File.GetLastAccessTimeUtc).ToList();
        Assert.Equal(4, files.Count);

        // A cache bounded to about one entry keeps only the newest when a third one is made.
        var data = Data.FashionMnist.Load(TestData.Subset);
        var spec = TestData.SmallTrial(freezeDepth: 2, seed: 1);
        var baseModel = PretrainedBases.GetOrTrain(store, "convnet4", spec.Pretrain!, data, TorchSharp.torch.CPU, null, CancellationToken.None);
        string key = FeatureCache.Key("another-base", 2, spec.TargetClasses);
        using (new FeatureCache(store, maxBytes: depth3).GetOrCompute(key, baseModel, 2, data, spec.TargetClasses, TorchSharp.torch.CPU, null)) { }
        var left = Directory.GetFiles(Path.Combine(artifacts, "features"), "*.dat");
        Assert.All(left, f => Assert.Contains(key, f));
    }

    [Fact]
    public void Deeper_features_made_from_a_shallower_entry_equal_those_made_from_the_images()
    {
        var data = Data.FashionMnist.Load(TestData.Subset);
        var spec = TestData.SmallTrial(freezeDepth: 3, seed: 1);
        var baseModel = PretrainedBases.GetOrTrain(new DerivedFiles(shared.Folder), "convnet4", spec.Pretrain!, data, TorchSharp.torch.CPU, null, CancellationToken.None);
        var keys = FeatureCache.KeysAtDepths(spec, data);

        var direct = new FeatureCache(new DerivedFiles(ScratchFolders.New("features-direct")));
        using var fromImages = direct.GetOrCompute(keys(3)!, baseModel, 3, data, spec.TargetClasses, TorchSharp.torch.CPU, null);

        var log = new List<string>();
        var chained = new FeatureCache(new DerivedFiles(ScratchFolders.New("features-chained")));
        using (chained.GetOrCompute(keys(2)!, baseModel, 2, data, spec.TargetClasses, TorchSharp.torch.CPU, log.Add, keys)) { }
        using var fromDepth2 = chained.GetOrCompute(keys(3)!, baseModel, 3, data, spec.TargetClasses, TorchSharp.torch.CPU, log.Add, keys);

        Assert.Contains(log, m => m.StartsWith("computing frozen-prefix features (depth 3)", StringComparison.Ordinal) && m.Contains("from the depth-2 features"));
        Assert.Equal(fromImages.Train.Shape, fromDepth2.Train.Shape);
        using var trainDirect = AllRows(fromImages.Train);
        using var testDirect = AllRows(fromImages.Test);
        Assert.True(trainDirect.eq(AllRows(fromDepth2.Train)).all().item<bool>(), "training-image features differ");
        Assert.True(testDirect.eq(AllRows(fromDepth2.Test)).all().item<bool>(), "test-image features differ");
    }

    static TorchSharp.torch.Tensor AllRows(Data.RowSet rows) => rows.Gather(Enumerable.Range(0, rows.Labels.Length).ToArray());
}
