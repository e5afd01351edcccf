namespace Runner.Sweeps.Search;

/// <summary>
/// One finished or running configuration the sampler learns from: its values (by parameter name) and its score,
/// higher is better (<see cref="Objective.Score"/>); null while it runs (or when it failed).
/// </summary>
public sealed record Observation(IReadOnlyDictionary<string, object> Values, double? Score);

/// <summary>
/// The Tree-structured Parzen Estimator, as Optuna's <c>TPESampler</c> (3.x, its defaults, univariate): after
/// <see cref="StartupTrials"/> random configurations, the finished ones are split into the best
/// γ(n) = min(⌈0.1 n⌉, 25) ("below") and the rest ("above"); for each parameter, a Parzen estimator of each group
/// (a truncated Gaussian per observation on the parameter's scale, logarithmic for log distributions, with
/// neighbour-distance bandwidths clipped by the "magic clip", plus a prior over the whole range; categorical
/// choices as smoothed counts) is fitted, 24 candidates are drawn from "below", and the one with the highest
/// l(x) / g(x) is proposed. Configurations still running count as "above" (Optuna's constant liar), so proposals
/// in flight at once do not pile onto the same point.
/// <para>
/// Deterministic: proposal <c>k</c> draws from a generator seeded by the sweep's random seed and <c>k</c>, so a
/// sweep that replays the same observations in the same order proposes the same configurations.
/// </para>
/// </summary>
public static class TpeSampler
{
    public const int StartupTrials = 10, Candidates = 24;

    /// <param name="startupTrials">finished configurations before the model is used (Optuna's n_startup_trials)</param>
    public static IReadOnlyDictionary<string, object> Propose(IReadOnlyList<ParameterAxis> space, IReadOnlyList<Observation> history, int proposal, int seed,
        int startupTrials = StartupTrials)
    {
        var finished = history.Where(o => o.Score is { } s && double.IsFinite(s)).ToList();
        if (finished.Count < Math.Max(1, startupTrials)) return RandomConfiguration(space, proposal, seed);
        var rng = new Random(SeedOf(seed, proposal));

        // Best first; ties keep history order (stable sort), so the split does not depend on anything else.
        var ranked = finished.OrderByDescending(o => o.Score!.Value).ToList();
        int nBelow = Math.Min((int)Math.Ceiling(0.1 * ranked.Count), 25);
        var below = ranked.Take(nBelow).ToList();
        var above = ranked.Skip(nBelow).Concat(history.Where(o => o.Score == null)).ToList();
        var result = new Dictionary<string, object>();
        foreach (var axis in space)
            result[axis.Name] = axis.Values is { } choices
                ? Categorical(choices, below.Select(o => IndexOf(choices, o.Values[axis.Name])).ToArray(), above.Select(o => IndexOf(choices, o.Values[axis.Name])).ToArray(), rng)
                : Numeric(axis.Distribution!, below.Select(o => Convert.ToDouble(o.Values[axis.Name])).ToArray(), above.Select(o => Convert.ToDouble(o.Values[axis.Name])).ToArray(), rng);
        return result;
    }

    /// <summary>Proposal <paramref name="proposal"/> of random search (and TPE's startup): each value drawn uniformly on its scale.</summary>
    public static IReadOnlyDictionary<string, object> RandomConfiguration(IReadOnlyList<ParameterAxis> space, int proposal, int seed)
    {
        var rng = new Random(SeedOf(seed, proposal));
        return space.ToDictionary(a => a.Name, a => RandomValue(a, rng));
    }

    /// <summary>
    /// The generator's seed for proposal <paramref name="proposal"/> of a sweep: a fixed mix (not
    /// <see cref="HashCode"/>, which changes from process to process), so a restarted coordinator proposes the same.
    /// </summary>
    public static int SeedOf(int seed, int proposal) => unchecked((int)(((uint)seed * 2_654_435_761u) ^ ((uint)proposal * 40_503u + 0x7e5u)));

    static object RandomValue(ParameterAxis axis, Random rng) => axis.Values is { } v ? v[rng.Next(v.Count)] : axis.Distribution!.Sample(rng);

    static int IndexOf(IReadOnlyList<object> choices, object value)
    {
        for (int i = 0; i < choices.Count; i++) if (Equals(choices[i], value)) return i;
        return 0;
    }

    /// <summary>A numeric parameter on its internal scale: log for log_uniform, and ±0.5 around the ends for integers.</summary>
    sealed class Scale(Distribution d)
    {
        public bool Log => d.Kind == "log_uniform";
        public bool Integer => d.Kind == "int_uniform";
        public double Low => Log ? Math.Log(d.Min) : Integer ? d.Min - 0.5 : d.Min;
        public double High => Log ? Math.Log(d.Max) : Integer ? d.Max + 0.5 : d.Max;
        public double In(double v) => Log ? Math.Log(v) : v;
        public object Out(double x) => Log ? Math.Exp(x) : Integer ? (object)(int)Math.Clamp(Math.Round(x), d.Min, d.Max) : x;
    }

    static object Numeric(Distribution d, double[] below, double[] above, Random rng)
    {
        var scale = new Scale(d);
        var l = Parzen.Fit(below.Select(scale.In).ToArray(), scale.Low, scale.High);
        var g = Parzen.Fit(above.Select(scale.In).ToArray(), scale.Low, scale.High);
        double best = double.NegativeInfinity, chosen = 0;
        for (int i = 0; i < Candidates; i++)
        {
            double x = l.Sample(rng);
            // An integer is judged by the mass of its whole unit, as Optuna's quantized estimators do.
            double score = scale.Integer ? l.LogMass(Math.Round(x) - 0.5, Math.Round(x) + 0.5) - g.LogMass(Math.Round(x) - 0.5, Math.Round(x) + 0.5)
                : l.LogPdf(x) - g.LogPdf(x);
            if (score > best) (best, chosen) = (score, x);
        }
        return scale.Out(chosen);
    }

    static object Categorical(IReadOnlyList<object> choices, int[] below, int[] above, Random rng)
    {
        double[] l = CategoricalWeights(choices.Count, below), g = CategoricalWeights(choices.Count, above);
        double best = double.NegativeInfinity;
        int chosen = 0;
        for (int i = 0; i < Candidates; i++)
        {
            int c = Draw(l, rng);
            double score = Math.Log(l[c]) - Math.Log(g[c]);
            if (score > best) (best, chosen) = (score, c);
        }
        return choices[chosen];
    }

    /// <summary>Each observation's one-hot with the prior's mass (1 / (n + 1)) spread over every choice, averaged with the prior's own row.</summary>
    static double[] CategoricalWeights(int choices, int[] observed)
    {
        int n = observed.Length;
        double prior = 1.0 / (n + 1);
        var w = new double[choices];
        // n + 1 rows (observations and the prior), each normalized, then mixed with equal weights.
        foreach (int o in observed)
            for (int c = 0; c < choices; c++) w[c] += ((c == o ? 1 : 0) + prior) / (1 + prior * choices);
        for (int c = 0; c < choices; c++) w[c] += 1.0 / choices;
        return w.Select(x => x / (n + 1)).ToArray();
    }

    static int Draw(double[] p, Random rng)
    {
        double u = rng.NextDouble(), sum = 0;
        for (int i = 0; i < p.Length; i++) if ((sum += p[i]) > u) return i;
        return p.Length - 1;
    }

    /// <summary>A mixture of Gaussians truncated to [low, high]: one per observation and one prior, equal weights (Optuna's under 25 observations).</summary>
    sealed class Parzen
    {
        readonly double[] _mus, _sigmas;
        readonly double _low, _high;

        Parzen(double[] mus, double[] sigmas, double low, double high) => (_mus, _sigmas, _low, _high) = (mus, sigmas, low, high);

        public static Parzen Fit(double[] observations, double low, double high)
        {
            int n = observations.Length;
            var mus = observations.Append(0.5 * (low + high)).ToArray();
            var sigmas = new double[n + 1];
            // Bandwidth: the larger distance to a neighbour among the sorted centres (prior included) and the ends,
            // the first and last taking their inner neighbour's (consider_endpoints off), then clipped.
            var order = Enumerable.Range(0, n + 1).OrderBy(i => mus[i]).ToArray();
            var sorted = new[] { low }.Concat(order.Select(i => mus[i])).Append(high).ToArray();
            for (int k = 0; k < order.Length; k++)
                sigmas[order[k]] = Math.Max(sorted[k + 1] - sorted[k], sorted[k + 2] - sorted[k + 1]);
            if (sorted.Length >= 4)
            {
                sigmas[order[0]] = sorted[2] - sorted[1];
                sigmas[order[^1]] = sorted[^2] - sorted[^3];
            }
            double range = high - low, minSigma = range / Math.Min(100.0, 1.0 + n + 1);
            for (int i = 0; i <= n; i++) sigmas[i] = Math.Clamp(sigmas[i], minSigma, range);
            sigmas[n] = range;   // the prior spans the whole range
            return new Parzen(mus, sigmas, low, high);
        }

        public double Sample(Random rng)
        {
            int k = rng.Next(_mus.Length);
            // Inverse-CDF draw from component k truncated to [low, high].
            double a = Phi((_low - _mus[k]) / _sigmas[k]), b = Phi((_high - _mus[k]) / _sigmas[k]);
            double u = a + rng.NextDouble() * (b - a);
            return Math.Clamp(_mus[k] + _sigmas[k] * PhiInverse(Math.Clamp(u, 1e-12, 1 - 1e-12)), _low, _high);
        }

        public double LogPdf(double x) => LogSumExp(Enumerable.Range(0, _mus.Length).Select(k =>
            -0.5 * Math.Pow((x - _mus[k]) / _sigmas[k], 2) - Math.Log(_sigmas[k] * Math.Sqrt(2 * Math.PI)) - Math.Log(Mass(k, _low, _high))))
            - Math.Log(_mus.Length);

        public double LogMass(double from, double to) => Math.Log(Math.Max(1e-300,
            Enumerable.Range(0, _mus.Length).Sum(k => Mass(k, Math.Max(from, _low), Math.Min(to, _high)) / Mass(k, _low, _high)) / _mus.Length));

        double Mass(int k, double from, double to) => Math.Max(1e-300, Phi((to - _mus[k]) / _sigmas[k]) - Phi((from - _mus[k]) / _sigmas[k]));

        static double LogSumExp(IEnumerable<double> xs)
        {
            var a = xs.ToArray();
            double max = a.Max();
            return max + Math.Log(a.Sum(x => Math.Exp(x - max)));
        }
    }

    /// <summary>The standard normal CDF (erfc form: accurate in the tails).</summary>
    static double Phi(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    /// <summary>Complementary error function, W. J. Cody's rational approximations via Numerical Recipes' erfc (relative error under 1.2e-7).</summary>
    static double Erfc(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807
            + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    /// <summary>The standard normal quantile (Acklam's algorithm, relative error 1.15e-9).</summary>
    static double PhiInverse(double p)
    {
        double[] a = { -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00 };
        double[] b = { -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01 };
        double[] c = { -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00 };
        double[] d = { 7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00 };
        if (p < 0.02425)
        {
            double q = Math.Sqrt(-2 * Math.Log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - 0.02425)
        {
            double q = Math.Sqrt(-2 * Math.Log(1 - p));
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        double r = p - 0.5, s = r * r;
        return (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r / (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1);
    }
}
