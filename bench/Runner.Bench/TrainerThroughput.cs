using Runner.Training.Data;
using Runner.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

using Runner.Cli;
using Runner.Training.Engine;

namespace Runner.Bench;

/// <summary>
/// Training throughput at freeze depth 0 (Adam, lr 1e-3): one untimed warm-up epoch, then timed epochs. The PyTorch
/// peers (bench/convnet4_torch.py, bench/torchvision_torch.py) measure the same way.
/// </summary>
public static class TrainerThroughput
{
    /// <summary>convnet4 over the target classes' training images.</summary>
    public static double ImagesPerSecond(string dataFolder, int threads, int epochs, int batchSize, int[] classes, string? precision = null)
    {
        TorchRuntime.SetThreads(threads);
        var data = FashionMnist.Load(dataFolder);
        var indices = TaskSplits.Source(data.Train, classes);
        using var train = TensorSplit.From(data.Train, indices, classes, CPU);
        return ImagesPerSecond(train, "convnet4", classes.Length, threads, epochs, batchSize, precision);
    }

    /// <summary>Random RGB images of <paramref name="size"/> px (the speed does not depend on the pixels), for the torchvision models.</summary>
    public static double ImagesPerSecond(string model, int size, int images, int threads, int epochs, int batchSize, string? precision) =>
        ImagesPerSecond(() => ModelZoo.Create(model, 5), size, images, threads, epochs, batchSize, precision);

    /// <summary>The same for any network with a 5-class head (a TorchScript backbone).</summary>
    public static double ImagesPerSecond(Func<IStagedModel> build, int size, int images, int threads, int epochs, int batchSize, string? precision)
    {
        TorchRuntime.SetThreads(threads);
        manual_seed(0);
        using var train = TensorSplit.FromRows(randn(images, 3, size, size), randint(0, 5, images));
        return ImagesPerSecond(train, build, threads, epochs, batchSize, precision);
    }

    static double ImagesPerSecond(TensorSplit train, string name, int classes, int threads, int epochs, int batchSize, string? precision) =>
        ImagesPerSecond(train, () => ModelZoo.Create(name, classes), threads, epochs, batchSize, precision);

    static double ImagesPerSecond(TensorSplit train, Func<IStagedModel> build, int threads, int epochs, int batchSize, string? precision)
    {
        TorchRuntime.SetThreads(threads);
        manual_seed(0);
        var model = build();
        try
        {
            var settings = new TrainingLoop.Settings(epochs + 1, batchSize, "adam", 1e-3, 0, 0.9, 0, 0, Precision: precision);
            var run = TrainingLoop.Run(model, train, null, settings, null, CancellationToken.None).Epochs;
            var timed = run.Skip(1).ToList();
            return timed.Count * (double)train.Count / timed.Sum(e => e.Seconds);
        }
        finally
        {
            model.Network.Dispose();
        }
    }
}
