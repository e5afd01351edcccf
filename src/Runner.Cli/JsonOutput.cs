using System.Text.Json;
using System.Text.Json.Serialization;

namespace Runner.Cli;

/// <summary>JSON as the CLI prints it: snake_case names, NaN/Infinity allowed (a diverged loss is a real value).</summary>
public static class JsonOutput
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
