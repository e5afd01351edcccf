using Runner.Training.Data;
using Runner.Training.Engine;
using Runner.Training.Models;
using static TorchSharp.torch;

namespace Runner.Training.Tests;

/// <summary>
/// A split streamed from its rows batch by batch trains and measures exactly as the same split held whole on the
/// device: which of the two a trial gets depends only on its size (<see cref="Splits"/>), never its numbers.
/// </summary>
[Collection("torch")]
public class StreamingSplitTests
{
    [Fact]
    public void Streamed_and_resident_splits_give_bit_identical_training_and_scores()
    {
        TorchRuntime.SetThreads(2);
        var data = FashionMnist.Load(TestData.Subset);
        int[] classes = { 5, 6, 7, 8, 9 };
        var split = TaskSplits.Target(data.Train, data.Test, classes, 20, 40, 3);
        var rows = data.Train.AsRows();
        var labels = Splits.TaskLabels(rows.Labels, split.Train, classes);
        using var resident = TensorSplit.From(rows, split.Train, labels, CPU);
        using var streamed = new StreamingSplit(rows, split.Train, labels, CPU);

        var (residentEpochs, residentWeights, residentScores) = Train(resident);
        var (streamedEpochs, streamedWeights, streamedScores) = Train(streamed);

        Assert.Equal(residentEpochs, streamedEpochs);
        Assert.Equal(residentWeights.Keys, streamedWeights.Keys);
        Assert.All(residentWeights, kv => Assert.True(kv.Value.SequenceEqual(streamedWeights[kv.Key]), $"{kv.Key} differs"));
        Assert.Equal(residentScores.Loss, streamedScores.Loss);
        Assert.Equal(residentScores.Confusion, streamedScores.Confusion);
    }

    /// <summary>Two epochs with augmentation (torch's generator) from one seed; the weights and the split's scores after.</summary>
    static (List<double> Epochs, Dictionary<string, float[]> Weights, TrainingLoop.SplitScores Scores) Train(ISplit split)
    {
        manual_seed(7);
        var model = ModelZoo.Create("convnet4", 5);
        try
        {
            var settings = new TrainingLoop.Settings(2, 16, "adam", 1e-2, 0, 0.9, 7, 0, Augment: true);
            var outcome = TrainingLoop.Run(model, split, null, settings, null, CancellationToken.None);
            var epochs = outcome.Epochs.SelectMany(e => new[] { e.TrainLoss, e.TrainAccuracy }).ToList();
            return (epochs, TestData.Snapshot(model.Network), TrainingLoop.Measure(model, split));
        }
        finally
        {
            model.Network.Dispose();
        }
    }

    [Fact]
    public void A_streamed_split_leaving_early_stops_its_reader_and_frees_what_it_had_ready()
    {
        var data = FashionMnist.Load(TestData.Subset);
        int[] classes = { 0, 1 };
        var indices = classes.SelectMany(data.Train.IndicesOf).ToArray();
        using var streamed = new StreamingSplit(data.Train.AsRows(), indices, Splits.TaskLabels(data.Train.Labels, indices, classes), CPU);
        int seen = 0;
        foreach (var batch in streamed.Batches(null, 8))
        {
            using (batch) Assert.Equal(new long[] { 8, 1, 28, 28 }, batch.Inputs.shape);
            if (++seen == 3) break;
        }
        // The whole split still reads in order after an early exit: the first batch's labels are the first rows'.
        var first = streamed.Batches(null, 4).First();
        using (first) Assert.Equal(Splits.TaskLabels(data.Train.Labels, indices[..4], classes), first.Labels.data<long>().ToArray());
    }
}
