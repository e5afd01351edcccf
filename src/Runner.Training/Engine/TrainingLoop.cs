using System.Diagnostics;
using Runner.Sweeps;
using Runner.Training.Data;
using Runner.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Runner.Training.Engine;

/// <summary>
/// The epoch loop shared by pretraining and trials: shuffled mini-batches, metrics accumulated on the device and
/// read once per epoch, evaluation under no_grad, cancellation checked between batches.
/// </summary>
public static class TrainingLoop
{
    public const int EvalBatch = 256;

    /// <param name="FirstStage">0 for images; k when the splits hold the cached outputs of the first k (frozen) stages</param>
    /// <param name="Strategy">how the stages train: see <see cref="Strategies"/></param>
    /// <param name="Augment">random crops and flips of the training batches</param>
    public sealed record Settings(int Epochs, int BatchSize, string Optimizer, double LearningRate, double WeightDecay, double Momentum, int Seed, int FreezeDepth,
        int FirstStage = 0, string Strategy = Strategies.FeatureExtraction, double BaseLrFactor = Strategies.DefaultBaseLrFactor,
        int UnfreezeEvery = 1, bool Augment = false)
    {
        /// <summary>The learning rate of each stage in an epoch (0 = frozen).</summary>
        public double[] StageRates(int stages, int epoch) =>
            Strategies.StageRates(Strategy, stages, FreezeDepth, LearningRate, BaseLrFactor, UnfreezeEvery, epoch);
    }

    /// <summary>Per-epoch callback; returning false stops training after this epoch (early stopping).</summary>
    public delegate bool EpochCallback(EpochMetrics metrics);

    /// <summary>What a run of the loop did: its epochs; the epoch the loss stopped being finite in, if it did; whether the callback stopped it before its last epoch.</summary>
    public sealed record Outcome(List<EpochMetrics> Epochs, int? DivergedAt, bool StoppedEarly);

    /// <param name="checkpoint">when given, training continues after its last epoch and saves one after each epoch</param>
    public static Outcome Run(
        IStagedModel model, TensorSplit train, TensorSplit? validation, Settings s, EpochCallback? onEpoch,
        CancellationToken cancel, TrialCheckpoint? checkpoint = null, Action<string>? log = null)
    {
        var device = train.Images.device;
        using var optimizer = CreateOptimizer(model, s);
        var order = Enumerable.Range(0, train.Count).ToArray();
        var rng = new Random(s.Seed);
        var epochs = checkpoint?.TryRestore(model, optimizer, log) ?? new List<EpochMetrics>();
        // Replay the shuffles of the epochs already done, so that the next epoch sees the same order as it would have.
        foreach (var _ in epochs) TaskSplits.Shuffle(order, rng.Next());
        using var lossSum = zeros(1, dtype: ScalarType.Float64, device: device);
        using var correct = zeros(1, dtype: ScalarType.Int64, device: device);

        for (int epoch = epochs.Count + 1; epoch <= s.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var rates = s.StageRates(model.Stages.Count, epoch);
            Freezing.Apply(model, rates);
            Freezing.TrainMode(model, Strategies.FrozenPrefix(rates));
            lossSum.zero_();
            correct.zero_();
            TaskSplits.Shuffle(order, rng.Next());
            using var orderTensor = tensor(order.Select(i => (long)i).ToArray()).to(device);
            for (int start = 0; start < train.Count; start += s.BatchSize)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                int n = Math.Min(s.BatchSize, train.Count - start);
                var idx = orderTensor.narrow(0, start, n);
                var x = s.Augment ? Augmentation.Apply(train.Images.index_select(0, idx)) : train.Images.index_select(0, idx);
                var y = train.Labels.index_select(0, idx);
                optimizer.zero_grad();
                var logits = model.ForwardFrom(s.FirstStage, x);
                var loss = nn.functional.cross_entropy(logits, y);
                loss.backward();
                optimizer.step();
                using (no_grad())
                {
                    lossSum.add_(loss.detach().to_type(ScalarType.Float64) * n);
                    correct.add_(logits.argmax(1).eq(y).sum());
                }
            }
            double trainLoss = lossSum.item<double>() / train.Count;
            double trainAcc = (double)correct.item<long>() / train.Count;
            double seconds = clock.Elapsed.TotalSeconds;
            if (!double.IsFinite(trainLoss))
            {
                epochs.Add(new EpochMetrics(epoch, trainLoss, trainAcc, double.NaN, double.NaN, seconds, train.Count / seconds));
                return new Outcome(epochs, epoch, false);
            }
            var val = validation == null ? null : Measure(model, validation, s.FirstStage);
            var (valLoss, valAcc) = val == null ? (double.NaN, double.NaN) : (val.Loss, val.Accuracy);
            var metrics = new EpochMetrics(epoch, trainLoss, trainAcc, valLoss, valAcc, seconds, train.Count / seconds,
                val?.MacroF1, val?.BalancedAccuracy, val?.Top5Accuracy);
            epochs.Add(metrics);
            if (validation != null && !double.IsFinite(valLoss)) return new Outcome(epochs, epoch, false);
            checkpoint?.Save(model, optimizer, epochs);
            if (onEpoch != null && !onEpoch(metrics)) return new Outcome(epochs, null, StoppedEarly: epoch < s.Epochs);
        }
        return new Outcome(epochs, null, false);
    }

    /// <summary>What a model scores on a split: mean loss, and the class scores of its confusion matrix.</summary>
    public sealed record SplitScores(double Loss, int[][] Confusion, double? Top5Accuracy)
    {
        public double Accuracy => ClassScores.Accuracy(Confusion);
        public double MacroF1 => ClassScores.MacroF1(Confusion);
        public double BalancedAccuracy => ClassScores.BalancedAccuracy(Confusion);
    }

    /// <summary>
    /// Loss, confusion matrix and (with more than five classes) top-5 accuracy over a split, in eval mode, without
    /// gradients; counts stay on the device until the end.
    /// </summary>
    public static SplitScores Measure(IStagedModel model, TensorSplit split, int firstStage = 0)
    {
        model.Network.eval();
        using var _ = no_grad();
        var device = split.Images.device;
        using var lossSum = zeros(1, dtype: ScalarType.Float64, device: device);
        using var top5 = zeros(1, dtype: ScalarType.Int64, device: device);
        Tensor? confusion = null;
        int classes = 0;
        for (int start = 0; start < split.Count; start += EvalBatch)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(EvalBatch, split.Count - start);
            var x = split.Images.narrow(0, start, n);
            var y = split.Labels.narrow(0, start, n);
            var logits = model.ForwardFrom(firstStage, x);
            if (confusion is null)
            {
                classes = (int)logits.shape[1];
                confusion = zeros(classes * classes, dtype: ScalarType.Int64, device: device).MoveToOuterDisposeScope();
            }
            lossSum.add_(nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).to_type(ScalarType.Float64));
            // One count per (true, predicted) pair: row-major index true * classes + predicted.
            confusion.add_(bincount(y * classes + logits.argmax(1), minlength: classes * classes));
            if (classes > 5) top5.add_(logits.topk(5).indexes.eq(y.unsqueeze(1)).any(1).sum());
        }
        using (confusion)
        {
            var counts = confusion?.cpu().data<long>().ToArray() ?? Array.Empty<long>();
            var matrix = Enumerable.Range(0, classes).Select(t => Enumerable.Range(0, classes).Select(p => (int)counts[t * classes + p]).ToArray()).ToArray();
            return new SplitScores(lossSum.item<double>() / split.Count, matrix, classes > 5 ? (double)top5.item<long>() / split.Count : null);
        }
    }

    /// <summary>
    /// One parameter group per stage that trains at some point, at its rate, and one for the head at the full rate.
    /// Rates do not change during training (a gradually unfrozen stage joins at the full rate), so the groups are
    /// made once; a stage still frozen in an epoch has no gradients and the optimizer leaves it alone.
    /// </summary>
    internal static TorchSharp.Modules.OptimizerHelper CreateOptimizer(IStagedModel model, Settings s)
    {
        var final = s.StageRates(model.Stages.Count, s.Epochs);
        var groups = model.Stages.Select((stage, i) => (Rate: final[i], Parameters: stage.Module.parameters().ToList()))
            .Where(g => g.Rate > 0 && g.Parameters.Count > 0)
            .Append((Rate: s.LearningRate, Parameters: model.Head.parameters().ToList()))
            .ToList();
        return s.Optimizer switch
        {
            "adam" => optim.Adam(groups.Select(g => new TorchSharp.Modules.Adam.ParamGroup(g.Parameters, lr: g.Rate, weight_decay: s.WeightDecay)),
                lr: s.LearningRate, weight_decay: s.WeightDecay),
            "sgd" => optim.SGD(groups.Select(g => new TorchSharp.Modules.SGD.ParamGroup(g.Parameters, lr: g.Rate, momentum: s.Momentum, weight_decay: s.WeightDecay)),
                learningRate: s.LearningRate, momentum: s.Momentum, weight_decay: s.WeightDecay),
            _ => throw new ArgumentException($"unknown optimizer '{s.Optimizer}'"),
        };
    }
}
