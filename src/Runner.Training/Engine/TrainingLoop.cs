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
    /// <summary>The most images an evaluation batch holds.</summary>
    public const int EvalBatch = 256;

    /// <summary>The most input an evaluation batch holds (float32 bytes).</summary>
    public const long EvalBatchBytes = 16L << 20;

    /// <summary>
    /// Images per evaluation batch for rows of this size: 256, fewer when that would hold more than 16 MiB of input.
    /// Activations scale with the batch: a ResNet-18 at 224 px in batches of 256 took 3.4 GB more than its training
    /// at batch 32 (conv1's im2col buffer alone is 1.9 GB), while 27 images a batch evaluate as fast on a CPU.
    /// </summary>
    public static int EvalBatchFor(long inputBytesPerRow) => (int)Math.Clamp(EvalBatchBytes / Math.Max(1, inputBytesPerRow), 1, EvalBatch);

    /// <param name="FirstStage">0 for images; k when the splits hold the cached outputs of the first k (frozen) stages</param>
    /// <param name="Strategy">how the stages train: see <see cref="Strategies"/></param>
    /// <param name="Augment">random crops and flips of the training batches</param>
    /// <param name="Objective">what validation optimizes: it picks the best epoch and drives patience (default validation accuracy)</param>
    /// <param name="SelectBest">end with the weights of the objective's best epoch, not the last one's</param>
    /// <param name="Patience">stop after this many epochs without a new best (0: never)</param>
    /// <param name="Schedule">the learning rate's course, set before every step (default constant)</param>
    /// <param name="GradClip">the most the gradients' total norm may be before a step (0: no clipping)</param>
    /// <param name="Precision">fp32, or mixed precision under <see cref="Autocast"/>: bf16, fp16 (CUDA, with loss scaling)</param>
    /// <param name="Transform">torchvision-style random crops, flips and jitter of the training batches (the train split then holds whole stored images)</param>
    public sealed record Settings(int Epochs, int BatchSize, string Optimizer, double LearningRate, double WeightDecay, double Momentum, int Seed, int FreezeDepth,
        int FirstStage = 0, string Strategy = Strategies.FeatureExtraction, double BaseLrFactor = Strategies.DefaultBaseLrFactor,
        int UnfreezeEvery = 1, bool Augment = false, Objective? Objective = null, bool SelectBest = false, int Patience = 0, double MinDelta = 0,
        LearningRateSchedule? Schedule = null, double LabelSmoothing = 0, double GradClip = 0, bool Nesterov = false, string? Precision = null,
        TrainTransform? Transform = null)
    {
        /// <summary>The learning rate of each stage in an epoch (0 = frozen).</summary>
        public double[] StageRates(int stages, int epoch) =>
            Strategies.StageRates(Strategy, stages, FreezeDepth, LearningRate, BaseLrFactor, UnfreezeEvery, epoch);

        public Objective Goal => Objective ?? Sweeps.Objective.Default;

        public LearningRateSchedule Rates => Schedule ?? new LearningRateSchedule(LearningRateSchedule.Constant, 0, Array.Empty<int>(), LearningRateSchedule.DefaultGamma);
    }

    /// <summary>Per-epoch callback; returning false stops training after this epoch (early stopping).</summary>
    public delegate bool EpochCallback(EpochMetrics metrics);

    /// <summary>
    /// What a run of the loop did: its epochs; the epoch the loss stopped being finite in, if it did; whether the
    /// callback (ASHA) stopped it before its last epoch; the epoch whose weights the model holds now; the epoch after
    /// which patience stopped it, if it did.
    /// </summary>
    public sealed record Outcome(List<EpochMetrics> Epochs, int? DivergedAt, bool StoppedEarly, int? SelectedEpoch = null, int? PatienceStoppedAt = null);

    /// <param name="checkpoint">when given, training continues after its last epoch and saves one after each epoch</param>
    public static Outcome Run(
        IStagedModel model, ISplit train, ISplit? validation, Settings s, EpochCallback? onEpoch,
        CancellationToken cancel, TrialCheckpoint? checkpoint = null, Action<string>? log = null)
    {
        var device = train.Device;
        using var optimizer = CreateOptimizer(model, s);
        var baseRates = optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();
        long stepsPerEpoch = (train.Count + s.BatchSize - 1) / s.BatchSize;
        var order = Enumerable.Range(0, train.Count).ToArray();
        var rng = new Random(s.Seed);
        var selection = new EpochSelection(s.Goal, s.Patience, s.MinDelta);
        var best = new BestWeights(s.SelectBest, checkpoint);
        var epochs = checkpoint?.TryRestore(model, optimizer, log, done => best.Needed(Replay(new EpochSelection(s.Goal, s.Patience, s.MinDelta), done), done))
                     ?? new List<EpochMetrics>();
        Replay(selection, epochs);
        // Replay the shuffles of the epochs already done, so that the next epoch sees the same order as it would have.
        foreach (var _ in epochs) TaskSplits.Shuffle(order, rng.Next());
        using var lossSum = zeros(1, dtype: ScalarType.Float64, device: device);
        using var correct = zeros(1, dtype: ScalarType.Int64, device: device);
        var trained = model.Network.parameters().ToList();
        var scaler = s.Precision == Autocast.Float16 ? new GradScaler() : null;
        var schedule = s.Rates;

        for (int epoch = epochs.Count + 1; epoch <= s.Epochs; epoch++)
        {
            if (selection.PatienceRanOut(epoch - 1)) return best.Finish(model, epochs, selection, new Outcome(epochs, null, false, PatienceStoppedAt: epoch - 1));
            var clock = Stopwatch.StartNew();
            var rates = s.StageRates(model.Stages.Count, epoch);
            Freezing.Apply(model, rates);
            Freezing.TrainMode(model, Strategies.FrozenPrefix(rates));
            lossSum.zero_();
            correct.zero_();
            TaskSplits.Shuffle(order, rng.Next());
            long step = (epoch - 1) * stepsPerEpoch;
            foreach (var batch in train.Batches(order, s.BatchSize))
            {
                using var owned = batch;
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                int n = batch.Count;
                var x = s.Transform?.Apply(batch.Inputs) ?? (s.Augment ? Augmentation.Apply(batch.Inputs) : batch.Inputs);
                var y = batch.Labels;
                optimizer.zero_grad();
                Tensor logits, loss;
                using (Autocast.Enter(s.Precision, device))
                {
                    logits = model.ForwardFrom(s.FirstStage, x);
                    loss = nn.functional.cross_entropy(logits, y, label_smoothing: s.LabelSmoothing);
                }
                (scaler?.Scaled(loss) ?? loss).backward();
                bool finite = scaler?.Unscale(trained) ?? true;
                if (s.GradClip > 0) nn.utils.clip_grad_norm_(trained.Where(p => p.grad is not null), s.GradClip);
                double factor = schedule.Factor(step, s.Epochs, stepsPerEpoch);
                int g = 0;
                foreach (var group in optimizer.ParamGroups) group.LearningRate = baseRates[g++] * factor;
                if (finite) optimizer.step();
                using (no_grad())
                {
                    lossSum.add_(loss.detach().to_type(ScalarType.Float64) * n);
                    correct.add_(logits.argmax(1).eq(y).sum());
                }
                step++;
            }
            double trainLoss = lossSum.item<double>() / train.Count;
            double trainAcc = (double)correct.item<long>() / train.Count;
            double seconds = clock.Elapsed.TotalSeconds;
            if (!double.IsFinite(trainLoss))
            {
                epochs.Add(new EpochMetrics(epoch, trainLoss, trainAcc, double.NaN, double.NaN, seconds, train.Count / seconds));
                return new Outcome(epochs, epoch, false);
            }
            var val = validation == null ? null : Measure(model, validation, s.FirstStage, s.Precision);
            var (valLoss, valAcc) = val == null ? (double.NaN, double.NaN) : (val.Loss, val.Accuracy);
            var metrics = new EpochMetrics(epoch, trainLoss, trainAcc, valLoss, valAcc, seconds, train.Count / seconds,
                val?.MacroF1, val?.BalancedAccuracy, val?.Top5Accuracy);
            epochs.Add(metrics);
            if (validation != null && !double.IsFinite(valLoss)) return new Outcome(epochs, epoch, false);
            bool isBest = selection.Observe(metrics);
            best.Offer(model, isBest);
            checkpoint?.Save(model, optimizer, epochs, keepAsBest: s.SelectBest && isBest);
            if (onEpoch != null && !onEpoch(metrics)) return best.Finish(model, epochs, selection, new Outcome(epochs, null, StoppedEarly: epoch < s.Epochs));
        }
        return best.Finish(model, epochs, selection, new Outcome(epochs, null, false));
    }

    static EpochSelection Replay(EpochSelection selection, IEnumerable<EpochMetrics> epochs)
    {
        foreach (var e in epochs) selection.Observe(e);
        return selection;
    }

    /// <summary>
    /// The weights of the best epoch, when the trial is tested with them: in its checkpoint when it has one (so a
    /// trial continued elsewhere still has them), else a copy in memory.
    /// </summary>
    sealed class BestWeights(bool wanted, TrialCheckpoint? checkpoint)
    {
        Dictionary<string, Tensor>? _copy;

        /// <summary>Whether a checkpoint with these epochs needs its best epoch's weights: selection is on and the best is not the last.</summary>
        public bool Needed(EpochSelection selection, IReadOnlyList<EpochMetrics> epochs) =>
            wanted && epochs.Count > 0 && selection.BestEpoch is { } b && b != epochs[^1].Epoch;

        public void Offer(IStagedModel model, bool isBest)
        {
            if (!wanted || !isBest || checkpoint != null) return;
            Dispose();
            _copy = model.Network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        }

        /// <summary>Puts the best epoch's weights back when selection asks for them; says which epoch the model holds.</summary>
        public Outcome Finish(IStagedModel model, List<EpochMetrics> epochs, EpochSelection selection, Outcome outcome)
        {
            int? held = epochs.Count == 0 ? null : epochs[^1].Epoch;
            if (Needed(selection, epochs))
            {
                if (checkpoint != null) checkpoint.RestoreBest(model);
                else model.Network.load_state_dict(_copy!);
                held = selection.BestEpoch;
            }
            Dispose();
            return outcome with { SelectedEpoch = held };
        }

        void Dispose()
        {
            foreach (var t in _copy?.Values ?? Enumerable.Empty<Tensor>()) t.Dispose();
            _copy = null;
        }
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
    /// gradients, in the trial's precision; counts stay on the device until the end.
    /// </summary>
    public static SplitScores Measure(IStagedModel model, ISplit split, int firstStage = 0, string? precision = null)
    {
        model.Network.eval();
        using var _ = no_grad();
        var device = split.Device;
        using var lossSum = zeros(1, dtype: ScalarType.Float64, device: device);
        using var top5 = zeros(1, dtype: ScalarType.Int64, device: device);
        Tensor? confusion = null;
        int classes = 0;
        foreach (var batch in split.Batches(null, EvalBatchFor(split.InputBytesPerRow)))
        {
            using var owned = batch;
            using var scope = NewDisposeScope();
            var (x, y) = (batch.Inputs, batch.Labels);
            using var autocast = Autocast.Enter(precision, device);
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
            "adamw" => optim.AdamW(groups.Select(g => new TorchSharp.Modules.AdamW.ParamGroup(g.Parameters, lr: g.Rate, weight_decay: s.WeightDecay)),
                lr: s.LearningRate, weight_decay: s.WeightDecay),
            "sgd" => optim.SGD(groups.Select(g => new TorchSharp.Modules.SGD.ParamGroup(g.Parameters, lr: g.Rate, momentum: s.Momentum, weight_decay: s.WeightDecay, nesterov: s.Nesterov)),
                learningRate: s.LearningRate, momentum: s.Momentum, weight_decay: s.WeightDecay, nesterov: s.Nesterov),
            _ => throw new ArgumentException($"unknown optimizer '{s.Optimizer}'"),
        };
    }
}
