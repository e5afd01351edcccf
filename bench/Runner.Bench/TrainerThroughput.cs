using Runner.Training.Data;
using Runner.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

using Runner.Cli;
using Runner.Training.Engine;

namespace Runner.Bench;

/// <summary>
/// Training throughput of convnet4 at freeze depth 0: one untimed warm-up epoch, then timed epochs over the target
/// classes' training images. The PyTorch peer (bench/convnet4_torch.py) measures the same way.
/// </summary>
public static class TrainerThroughput
{
    public static double ImagesPerSecond(string dataFolder, int threads, int epochs, int batchSize, int[] classes)
    {
        TorchRuntime.SetThreads(threads);
        var data = FashionMnist.Load(dataFolder);
        var indices = TaskSplits.Source(data.Train, classes);
        using var train = TensorSplit.From(data.Train, indices, classes, CPU);
        manual_seed(0);
        var model = ModelZoo.Create("convnet4", classes.Length);
        try
        {
            var settings = new TrainingLoop.Settings(epochs + 1, batchSize, "adam", 1e-3, 0, 0.9, 0, 0);
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
