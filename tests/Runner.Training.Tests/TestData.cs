using Runner.Sweeps;
using Runner.Training.Data;
using Runner.Training.Engine;
using static TorchSharp.torch;

namespace Runner.Training.Tests;

/// <summary>Paths into the repository (the shipped Fashion-MNIST subset) and small trial settings for fast tests.</summary>
public static class TestData
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Subset => Path.Combine(RepoRoot, "data", "fashion-mnist-subset");

    static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Runner.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Runner.sln not found above the test folder");
    }

    public static readonly PretrainSpec Pretrain = new("fashion-mnist", new[] { 0, 1, 2, 3, 4 }, 1, 1e-3, 0, 64, "adam");

    /// <summary>A trial small enough to run in a second or two: 20 images per class, one epoch.</summary>
    public static TrialSpec SmallTrial(int freezeDepth = 0, string init = "pretrained", int seed = 1, double lr = 1e-3, string optimizer = "adam", int epochs = 1) =>
        new("convnet4", EnumText.Parse<Initialization>(init) == Initialization.Scratch ? null : Pretrain, "fashion-mnist", new[] { 5, 6, 7, 8, 9 }, 40, EnumText.Parse<Initialization>(init),
            freezeDepth, lr, 20, epochs, 16, optimizer, 0, 0.9, seed);

    /// <summary>20 training images of each target class (5..9) of the subset, on the CPU, with 2 torch threads.</summary>
    public static TensorSplit SmallTargetSplit()
    {
        TorchRuntime.SetThreads(2);
        var data = FashionMnist.Load(Subset);
        int[] classes = { 5, 6, 7, 8, 9 };
        var split = TaskSplits.Target(data.Train, data.Test, classes, 20, 20, 3);
        return TensorSplit.From(data.Train, split.Train, classes, CPU);
    }

    /// <summary>A copy of a module's float tensors by name, to see what training changed.</summary>
    public static Dictionary<string, float[]> Snapshot(nn.Module<Tensor, Tensor> module) =>
        module.state_dict().Where(kv => kv.Value.dtype == ScalarType.Float32).ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());

    public static TrialEnvironment Environment(string artifacts, List<string>? log = null) =>
        new(new DerivedFiles(artifacts), DataFolder: Subset, Device: "cpu", Threads: 2, AllowDownload: false,
            Log: log == null ? null : m => { lock (log) log.Add(m); });
}

/// <summary>Tests that train share one pretrained base and run one at a time (torch's thread count is process-wide).</summary>
[CollectionDefinition("torch")]
public sealed class TorchCollection : ICollectionFixture<SharedArtifacts>;

public sealed class SharedArtifacts
{
    public string Folder { get; } = ScratchFolders.New("shared-artifacts");
}
