using TorchSharp;
using TorchSharp.Modules;

namespace Runner.Training.Models;

/// <summary>
/// freeze_depth = k: the first k stages get requires_grad = false and stay in eval mode while the rest trains, so
/// their BatchNorm running statistics do not move either. <c>Module.train()</c> switches every child back to
/// training mode, so <see cref="TrainMode"/> must be used instead of calling it directly.
/// </summary>
public static class Freezing
{
    public static void Freeze(IStagedModel model, int depth)
    {
        if (depth < 0 || depth > model.Stages.Count)
            throw new ArgumentOutOfRangeException(nameof(depth), $"freeze depth {depth} is outside 0..{model.Stages.Count} for {model.Name}");
        for (int i = 0; i < model.Stages.Count; i++)
            foreach (var p in model.Stages[i].Module.parameters())
                p.requires_grad = i >= depth;
        foreach (var p in model.Head.parameters()) p.requires_grad = true;
    }

    /// <summary>Stages with rate 0 are frozen and the rest train (a strategy's plan for one epoch, see <see cref="Runner.Sweeps.Strategies"/>).</summary>
    public static void Apply(IStagedModel model, double[] stageRates)
    {
        for (int i = 0; i < model.Stages.Count; i++)
            foreach (var p in model.Stages[i].Module.parameters())
                p.requires_grad = stageRates[i] > 0;
        foreach (var p in model.Head.parameters()) p.requires_grad = true;
    }

    public static void TrainMode(IStagedModel model, int depth)
    {
        model.Network.train();
        for (int i = 0; i < depth; i++) model.Stages[i].Module.eval();
    }

    public static IEnumerable<Parameter> Trainable(IStagedModel model) =>
        model.Network.parameters().Where(p => p.requires_grad);

    public static long Count(IEnumerable<Parameter> parameters) => parameters.Sum(p => p.numel());
}
