using TorchSharp;
using TorchSharp.Modules;

namespace Runner.Training.Models;

/// <summary>
/// Carries out a strategy's plan for one epoch (<see cref="Runner.Sweeps.Strategies.StageRates"/>, decided there
/// alone): stages at rate 0 get requires_grad = false and stay in eval mode while the rest trains, so their BatchNorm
/// running statistics do not move either. <c>Module.train()</c> switches every child back to training mode, so
/// <see cref="TrainMode"/> must be used instead of calling it directly.
/// </summary>
public static class Freezing
{
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

    /// <summary>The parameters a plan's stage rates train: the stages with a rate above 0, and the head.</summary>
    public static IEnumerable<Parameter> TrainedBy(IStagedModel model, double[] stageRates) =>
        model.Stages.Where((_, i) => stageRates[i] > 0).SelectMany(s => s.Module.parameters()).Concat(model.Head.parameters());

    public static long ParameterCount(IEnumerable<Parameter> parameters) => parameters.Sum(p => p.numel());
}
