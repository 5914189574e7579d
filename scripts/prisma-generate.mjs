// Placeholder until the database layer lands; replaced by the real generator wrapper.
