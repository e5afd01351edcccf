using System.Text.Json.Serialization;
using MessagePack;

namespace Runner.Sweeps;

/// <summary>How a trial's network starts: from the pretrained base, or from random weights (the no-transfer baseline).</summary>
[JsonConverter(typeof(EnumText.Json<Initialization>))]
[MessagePackFormatter(typeof(EnumText.MessagePack<Initialization>))]
public enum Initialization
{
    Pretrained,
    Scratch,
}
