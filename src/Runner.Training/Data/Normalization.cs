namespace Runner.Training.Data;

/// <summary>Per-channel mean and standard deviation (on a 0..1 scale) that inputs are normalized with.</summary>
public sealed record Normalization(float[] Mean, float[] Std)
{
    /// <summary>Fashion-MNIST training-set pixel statistics (grayscale).</summary>
    public static readonly Normalization FashionMnist = new(new[] { 0.2860f }, new[] { 0.3530f });

    /// <summary>The ImageNet statistics torchvision's pretrained models expect (RGB).</summary>
    public static readonly Normalization ImageNet = new(new[] { 0.485f, 0.456f, 0.406f }, new[] { 0.229f, 0.224f, 0.225f });

    /// <summary>What an image folder's images are normalized with: ImageNet's statistics in RGB, Fashion-MNIST's in grayscale.</summary>
    public static Normalization ForChannels(int channels) => channels == 3 ? ImageNet : FashionMnist;
}
