namespace Runner.Training.Data;

/// <summary>A dataset's train and test splits, and a fingerprint of its content (part of every cache key built on it).</summary>
public abstract record ImageData(ImageSet Train, ImageSet Test, string Fingerprint);
