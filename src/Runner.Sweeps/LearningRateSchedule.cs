namespace Runner.Sweeps;

/// <summary>
/// How the learning rate moves during a trial, as a factor of the trial's rates (every parameter group scales by the
/// same factor, so fine-tuning's smaller base rate stays smaller). The factor is set before every optimizer step, with
/// PyTorch's schedulers' meanings (a test compares them step by step):
/// <list type="bullet">
/// <item>constant: 1.</item>
/// <item>cosine: <c>CosineAnnealingLR(T_max = steps after warm-up, eta_min = 0)</c> stepped every batch.</item>
/// <item>step: <c>MultiStepLR(milestones, gamma)</c> stepped every epoch; milestones are epochs (the rate is multiplied
/// by gamma from epoch m + 1 on, counting from 1).</item>
/// <item>one-cycle: <c>OneCycleLR(max_lr = the trial's rate, total_steps = steps after warm-up, pct_start = 0.3, cos
/// annealing, div_factor = 25, final_div_factor = 1e4, cycle_momentum = False)</c>.</item>
/// </list>
/// Warm-up (<paramref name="WarmupEpochs"/>) ramps the factor linearly over its steps, <c>(step + 1) / W</c>, which is
/// <c>LinearLR(start_factor = 1/W, total_iters = W - 1)</c>; cosine and one-cycle then run over the remaining steps,
/// and step's milestones still count from the first epoch.
/// </summary>
public sealed record LearningRateSchedule(string Name, int WarmupEpochs, IReadOnlyList<int> Milestones, double Gamma)
{
    public const string Constant = "constant", Cosine = "cosine", Step = "step", OneCycle = "one-cycle";
    public static readonly string[] Names = { Constant, Cosine, Step, OneCycle };
    public const double DefaultGamma = 0.1;
    const double OneCyclePeak = 0.3, OneCycleDiv = 25, OneCycleFinalDiv = 1e4;

    /// <summary>The factor for optimizer step <paramref name="step"/> (0-based) of a trial with <paramref name="epochs"/> epochs of <paramref name="stepsPerEpoch"/> steps.</summary>
    public double Factor(long step, int epochs, long stepsPerEpoch)
    {
        long total = epochs * stepsPerEpoch, warmup = WarmupEpochs * stepsPerEpoch;
        if (step < warmup) return (step + 1.0) / warmup * (Name == Step ? StepFactor(step / stepsPerEpoch) : 1.0);
        long t = step - warmup, span = Math.Max(1, total - warmup);
        return Name switch
        {
            Constant => 1.0,
            Cosine => 0.5 * (1 + Math.Cos(Math.PI * t / span)),
            Step => StepFactor(step / stepsPerEpoch),
            OneCycle => OneCycleFactor(t, span),
            _ => throw new ArgumentException($"unknown lr_schedule '{Name}'"),
        };
    }

    double StepFactor(long epochIndex) => Math.Pow(Gamma, Milestones.Count(m => m <= epochIndex));

    /// <summary>torch.optim.lr_scheduler.OneCycleLR's two phases, as a factor of max_lr.</summary>
    static double OneCycleFactor(long t, long total)
    {
        double initial = 1.0 / OneCycleDiv, final = initial / OneCycleFinalDiv;
        double peakStep = OneCyclePeak * total - 1;
        static double Anneal(double from, double to, double pct) => to + (from - to) / 2.0 * (Math.Cos(Math.PI * pct) + 1);
        return t <= peakStep && peakStep > 0
            ? Anneal(initial, 1.0, t / peakStep)
            : Anneal(1.0, final, (t - peakStep) / (total - 1 - peakStep));
    }
}
