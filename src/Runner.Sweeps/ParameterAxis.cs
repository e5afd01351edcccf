namespace Runner.Sweeps;

/// <summary>
/// One swept parameter: either a list of values (grid, or a categorical choice for random search) or a distribution
/// (random search only). Values are stored as <see cref="string"/>, <see cref="int"/> or <see cref="double"/>.
/// </summary>
public sealed record ParameterAxis(string Name, IReadOnlyList<object>? Values, Distribution? Distribution);

/// <summary>A range to sample from: uniform, log_uniform (learning rates) or int_uniform (inclusive).</summary>
public sealed record Distribution(string Kind, double Min, double Max)
{
    public object Sample(Random rng) => Kind switch
    {
        "uniform" => (object)(Min + rng.NextDouble() * (Max - Min)),
        "log_uniform" => (object)Math.Exp(Math.Log(Min) + rng.NextDouble() * (Math.Log(Max) - Math.Log(Min))),
        "int_uniform" => (object)rng.Next((int)Min, (int)Max + 1),
        _ => throw new InvalidOperationException($"unknown distribution {Kind}"),
    };
}
