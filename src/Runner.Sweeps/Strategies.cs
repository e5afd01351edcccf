namespace Runner.Sweeps;

/// <summary>
/// How a pretrained base is adapted to the target task (the sweepable <c>strategy</c>), as a learning rate per stage
/// and epoch. Pure logic: the trainer turns a plan into frozen stages and optimizer parameter groups.
/// <list type="bullet">
/// <item>feature-extraction: the first <c>freeze_depth</c> stages are frozen; the rest and the head train at the rate.</item>
/// <item>fine-tune: every stage trains; the first <c>freeze_depth</c> at <c>base_lr_factor</c> × the rate
/// (discriminative rates: pretrained layers move less).</item>
/// <item>gradual-unfreeze: epoch 1 trains the head only; every <c>unfreeze_every</c> epochs one more stage, from the
/// top down, joins at the full rate. Stages below <c>freeze_depth</c> never unfreeze (0 = all of them eventually).</item>
/// </list>
/// </summary>
public static class Strategies
{
    public const string FeatureExtraction = "feature-extraction", FineTune = "fine-tune", GradualUnfreeze = "gradual-unfreeze";
    public static readonly string[] All = { FeatureExtraction, FineTune, GradualUnfreeze };
    public const double DefaultBaseLrFactor = 0.1;

    /// <summary>The learning rate of each stage in one epoch (1-based); 0 means frozen. The head always trains at the rate.</summary>
    public static double[] StageRates(string strategy, int stages, int freezeDepth, double rate, double baseLrFactor, int unfreezeEvery, int epoch)
    {
        var rates = new double[stages];
        for (int i = 0; i < stages; i++)
            rates[i] = strategy switch
            {
                FeatureExtraction => i < freezeDepth ? 0 : rate,
                FineTune => i < freezeDepth ? rate * baseLrFactor : rate,
                GradualUnfreeze => i >= Math.Max(freezeDepth, stages - (epoch - 1) / Math.Max(1, unfreezeEvery)) ? rate : 0,
                _ => throw new ArgumentException($"unknown strategy '{strategy}'; known: {string.Join(", ", All)}"),
            };
        return rates;
    }

    /// <summary>Frozen stages in an epoch: the leading stages whose rate is 0 (the trainer keeps them in eval mode).</summary>
    public static int FrozenPrefix(double[] stageRates)
    {
        int k = 0;
        while (k < stageRates.Length && stageRates[k] == 0) k++;
        return k;
    }
}
