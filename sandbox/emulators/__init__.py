"""Provider control-plane emulators (Render, Vercel, Supabase, Pinecone) answering in their real shapes."""
